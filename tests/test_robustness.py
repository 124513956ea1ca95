"""The robustness table (graph_schema/robustness.yml), its combination over a rule's logic tree and the
bypassable-exclusion rules (loader/normalize/robustness.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from graph_schema.errors import ConfigError
from graph_schema.event_catalog import CatalogEvent
from graph_schema.field_catalog import FieldCatalog
from graph_schema.robustness_table import ROBUSTNESS_PATH, RobustnessTable
from loader.model import Operator, Predicate, Rule, Telemetry
from loader.normalize import CANONICAL_OPERATORS, CanonicalPredicate, Normalizer
from loader.normalize.robustness import fold_logic
from tests.conftest import ECS


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer.load(ECS)


def elastic(*predicates: Predicate, logic: dict | None = None) -> Rule:  # type: ignore[type-arg]
    rule = Rule("elastic", "e", "E", "e.toml", language="kuery")
    rule.predicates = list(predicates)
    rule.logic = logic if logic is not None else {"and": [{"p": i} for i in range(len(predicates))]}
    return rule


def score(normalizer: Normalizer, rule: Rule, events: list[CatalogEvent] | None = None):  # type: ignore[no-untyped-def]
    return normalizer.robustness(rule, normalizer.canonical(rule), events or [])


NAME = Predicate("process.name", Operator.EQ, "cmd.exe")
ORIGINAL = Predicate("process.pe.original_file_name", Operator.EQ, "Cmd.Exe")
ARG = Predicate("process.command_line", Operator.CONTAINS, "/c whoami")
CATEGORY = Predicate("event.category", Operator.EQ, "process")


def test_table_loads_and_rates_every_level(normalizer: Normalizer) -> None:
    table = normalizer.robustness_table
    assert table is not None
    assert {r.level for r in table.fields.values()} == {1, 2, 3, 4, 5}
    assert table.fields["process.name"].level == 1
    assert table.fields["process.pe.original_file_name"].level == 3
    assert table.operators[("process.command_line", "eq")].level == 1


def _table_with(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "robustness.yml"
    text = ROBUSTNESS_PATH.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("fields: [process.name,", "fields: [process.nmae,", "neither an ECS"),
    ("level: 4\n", "level: 7\n", "needs a level"),
    ("operators: [eq]", "operators: [equals]", "canonical operators"),
    ("fields: [process.name,", "fields: [process.command_line, process.name,", "rated twice"),
    ("  kernel-mode: K\n", "", "event layers"),
    ("path_fields: [process.executable,", "path_fields: [process.exe,", "neither an ECS"),
])
def test_table_invalid_is_config_error(tmp_path: Path, old: str, new: str, message: str) -> None:
    catalog = FieldCatalog.load(ECS)
    with pytest.raises(ConfigError, match=message):
        RobustnessTable.load(catalog, CANONICAL_OPERATORS, _table_with(tmp_path, old, new))


def test_robustness_and_is_its_weakest_part(normalizer: Normalizer) -> None:
    result = score(normalizer, elastic(CATEGORY, NAME, ARG))
    assert result.level == 1
    assert result.predicates == (1,)
    assert "process.name eq 'cmd.exe'" in result.reason


def test_robustness_or_is_its_strongest_branch(normalizer: Normalizer) -> None:
    rule = elastic(CATEGORY, NAME, ORIGINAL, logic={"and": [{"p": 0}, {"or": [{"p": 1}, {"p": 2}]}]})
    result = score(normalizer, rule)
    assert (result.level, result.predicates) == (3, (2,))


def test_robustness_ignores_exclusions_and_context(normalizer: Normalizer) -> None:
    excluded = Predicate("process.name", Operator.EQ, "explorer.exe", negated=True, exclusion=True)
    rule = elastic(CATEGORY, ARG, excluded, logic={"and": [{"p": 0}, {"p": 1}, {"not": {"p": 2}}]})
    assert score(normalizer, rule).level == 3


def test_robustness_event_only_rule_rests_on_the_event(normalizer: Normalizer) -> None:
    result = score(normalizer, elastic(CATEGORY, Predicate("event.code", Operator.EQ, "1102")))
    assert result.level == 5
    assert result.predicates == ()
    assert "the event alone" in result.reason


def test_robustness_no_predicates_scores_lowest(normalizer: Normalizer) -> None:
    rule = Rule("elastic", "ml", "ML", "ml.toml", rule_type="machine_learning")
    result = score(normalizer, rule)
    assert result.level == 1
    assert "no parsed detection logic" in result.reason


def test_robustness_whole_command_line_eq_is_ephemeral(normalizer: Normalizer) -> None:
    assert score(normalizer, elastic(Predicate("process.command_line", Operator.EQ, "cmd /c whoami"))).level == 1


def test_robustness_keyword_and_unmapped_use_defaults(normalizer: Normalizer) -> None:
    assert score(normalizer, elastic(Predicate(None, Operator.MATCH, "mimikatz"))).level == 1
    sigma = Rule("sigma", "s", "S", "s.yml", telemetry=Telemetry(product="acme"))  # a log source no map names
    sigma.predicates = [Predicate("eventType", Operator.EQ, "user.mfa.factor.deactivate")]
    assert normalizer.canonical(sigma)[0].field_kind == "unmapped"
    assert score(normalizer, sigma).level == 2


def test_robustness_sequence_requires_every_step(normalizer: Normalizer) -> None:
    rule = elastic(ORIGINAL, NAME, logic={"sequence": [{"p": 0}, {"p": 1}], "by": ["process.entity_id"]})
    assert score(normalizer, rule).level == 1


def test_robustness_without_logic_needs_every_predicate(normalizer: Normalizer) -> None:
    rule = elastic(ORIGINAL, ARG)
    rule.logic = None
    assert score(normalizer, rule).level == 3


def test_robustness_column_is_the_highest_event_layer(normalizer: Normalizer) -> None:
    events = [CatalogEvent("p", "1", "one", layer="application"), CatalogEvent("p", "2", "two", layer="kernel-mode")]
    result = score(normalizer, elastic(ORIGINAL), events)
    assert (result.layer, result.column, result.label) == ("kernel-mode", "K", "3K")
    assert score(normalizer, elastic(ORIGINAL)).label == "3"


def test_fold_logic_counts_leaves_under_every_combinator() -> None:
    tree = {"pipeline": [{"and": [{"p": 0}, {"not": {"or": [{"p": 1}, {"p": 2}]}}]}, {"p": 3}],
            "stats_by": [["source.ip"]]}
    assert fold_logic(tree, lambda i: 1, sum, sum) == 4


def bypass(normalizer: Normalizer, field: str, operator: str, value: str) -> str | None:
    return normalizer.bypass(CanonicalPredicate(field, "ecs", None, operator, value, (), False))


@pytest.mark.parametrize(("field", "operator", "value", "why"), [
    ("process.executable", "contains", "\\appdata\\local\\temp\\", "user-writable"),
    ("process.executable", "wildcard", "c:\\users\\*\\teams.exe", "user-writable"),
    ("process.executable", "startswith", "/tmp/vmis.", "user-writable"),
    ("file.path", "startswith", "/dev/shm/", "user-writable"),
    ("process.executable", "contains", "\\program files\\", "not anchored"),
    ("process.executable", "eq", "./usr/bin/podman", "not anchored"),
    ("process.executable", "endswith", "\\msmpeng.exe", "file name alone"),
    ("process.name", "eq", "cmd.exe", "file name alone"),
    ("process.parent.name", "startswith", "python", "file name alone"),
    ("process.command_line", "contains", "--type=renderer", "command-line substring"),
])
def test_bypass_cheap_exclusions_have_a_reason(normalizer: Normalizer, field: str, operator: str, value: str,
                                                why: str) -> None:
    reason = bypass(normalizer, field, operator, value)
    assert reason is not None and why in reason


@pytest.mark.parametrize(("field", "operator", "value"), [
    ("process.executable", "startswith", "c:\\program files\\"),
    ("process.executable", "eq", "/usr/bin/dockerd"),
    ("process.command_line", "eq", "c:\\windows\\system32\\svchost.exe -k netsvcs"),
    ("process.code_signature.trusted", "eq", "true"),
    ("process.hash.sha256", "eq", "ab" * 32),
    ("destination.ip", "cidr", "127.0.0.0/8"),
    ("process.name", "regex_match", "cmd\\.exe"),
])
def test_bypass_costly_exclusions_are_not_flagged(normalizer: Normalizer, field: str, operator: str,
                                                  value: str) -> None:
    assert bypass(normalizer, field, operator, value) is None
