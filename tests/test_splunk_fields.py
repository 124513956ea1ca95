"""Field bookkeeping across an SPL pipeline (loader/splunk/fields.py)."""
from __future__ import annotations

from loader.splunk.fields import FieldState


def test_fields_aggregate_value_functions_alias_others_derive():
    state = FieldState()
    state.aggregate("count min(_time) as firstTime dc(eval(upper(user))) as users values(P.cmd) as cmd", "P.dest")
    assert state.derived == {"count", "firstTime", "users"}
    assert state.resolve("cmd") == "P.cmd"
    assert "P.dest" in state.columns


def test_fields_aggregate_ignores_options_and_adds_defaults():
    state = FieldState()
    state.aggregate("summariesonly=true sparkline", "_time span=1h host", ("count", "percent"))
    assert state.derived == {"count", "percent"}
    assert {"_time", "host"} <= state.columns and "span=1h" not in state.columns


def test_fields_wildcard_rename_maps_known_columns():
    state = FieldState()
    state.aggregate("count", "Processes.dest Processes.user other")
    state.rename("Processes.*", "*")
    assert (state.resolve("dest"), state.resolve("user"), state.resolve("other")) == (
        "Processes.dest", "Processes.user", "other")


def test_fields_assign_carries_lookups_and_derivation():
    state = FieldState()
    state.add_lookup("dyn_default", "query", "isDyn_default")
    state.add_lookup("dyn_local", "query", "isDyn_local")
    state.assign("isDyn", ["isDyn_local", "isDyn_default"])
    assert state.lookups["isDyn"] == ("dyn_local", "query")
    state.derived.add("total")
    state.assign("ratio", ["total", "x"])
    assert "ratio" in state.derived
    state.assign("ratio", ["x"])
    assert "ratio" not in state.derived


def test_fields_alias_chains_resolve_to_the_event_field():
    state = FieldState()
    state.rename("NewProcessName", "process")
    state.assign("p", ["process"], alias=True)
    assert state.resolve("p") == "NewProcessName"
    state.assign("process", ["process"], alias=True)
    assert state.resolve("process") == "NewProcessName"
