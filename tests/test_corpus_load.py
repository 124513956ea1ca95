"""The real corpora loaded end to end into Neo4j: nothing lost between parsing and the graph."""
from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import Driver

from loader.pipeline import run_load
from loader.report import LoadReport
from queries.rule_detail import rule_detail

pytestmark = [pytest.mark.neo4j, pytest.mark.corpus]

SIGMA_EXEC = "a1b0ca4e-7835-413e-8471-3ff2b8a66be6"  # kubernetes_audit_exec_into_container.yml


@pytest.fixture(scope="module")
def loaded(full_graph: tuple[Driver, LoadReport]) -> tuple[Driver, LoadReport]:
    return full_graph


def scalar(drv: Driver, query: str, **params):  # type: ignore[no-untyped-def]
    return drv.execute_query(query, params).records[0][0]


def test_every_parsed_rule_and_predicate_is_in_the_graph(loaded: tuple[Driver, LoadReport]) -> None:
    drv, report = loaded
    for v in report.vendors:
        assert v.failed == 0 and v.rules == v.files, (v.vendor, v.failures[:3])
        assert scalar(drv, "MATCH (r:Rule {vendor: $v}) RETURN count(r)", v=v.vendor) == v.rules
        edges = scalar(drv, "MATCH (:Rule {vendor: $v})-[h:HAS_PREDICATE]->() RETURN count(h)", v=v.vendor)
        assert edges == v.predicates
        assert scalar(drv, "MATCH (:Rule {vendor: $v})-[h:HAS_PREDICATE {exclusion: true}]->() RETURN count(h)",
                      v=v.vendor) == v.exclusions


def test_t1609_rules_per_vendor(loaded: tuple[Driver, LoadReport]) -> None:
    drv, _ = loaded
    rows = drv.execute_query("MATCH (:Technique {id: 'T1609'})<-[:DETECTS]-(r:Rule) "
                             "RETURN r.vendor AS vendor, count(r) AS n, min(r.predicate_count) AS fewest").records
    by_vendor = {r["vendor"]: (r["n"], r["fewest"]) for r in rows}
    assert by_vendor["sigma"][0] == 3 and by_vendor["elastic"][0] == 33
    assert all(fewest > 0 for _, fewest in by_vendor.values())


def test_t1609_sigma_exec_rule_predicates(loaded: tuple[Driver, LoadReport]) -> None:
    drv, _ = loaded
    preds = {(p["field"], p["operator"], p["value"]) for p in rule_detail(drv, SIGMA_EXEC)["predicates"]}
    assert preds == {("verb", "eq", "create"), ("objectRef.resource", "eq", "pods"),
                     ("objectRef.subresource", "eq", "exec")}


def test_elastic_exec_into_pod_excludes_namespaces(loaded: tuple[Driver, LoadReport]) -> None:
    drv, _ = loaded
    rows = drv.execute_query(
        "MATCH (r:Rule {vendor: 'elastic', title: 'Kubernetes User Exec into Pod'})-[h:HAS_PREDICATE]->(i:Indicator) "
        "RETURN i.field AS field, h.exclusion AS exclusion").records
    fields = {(r["field"], r["exclusion"]) for r in rows}
    assert ("kubernetes.audit.verb", False) in fields and ("kubernetes.audit.objectRef.subresource", False) in fields
    assert any(f.startswith("kubernetes.audit.objectRef.namespace") and ex for f, ex in fields)


def test_splunk_macro_predicates_and_events(loaded: tuple[Driver, LoadReport]) -> None:
    drv, _ = loaded
    assert scalar(drv, "MATCH (:Rule {vendor: 'splunk'})-[h:HAS_PREDICATE {macro: 'process_powershell'}]->"
                       "(i:Indicator {field: 'process.name', value: 'powershell.exe'}) RETURN count(h)") > 10
    assert scalar(drv, "MATCH (:Rule {vendor: 'splunk'})-[:READS]->(:DataSource)-[:PROVIDES]->(:Event) "
                       "RETURN count(*)") > 1000


def test_uncatalogued_splunk_data_sources_are_reported(loaded: tuple[Driver, LoadReport]) -> None:
    _, report = loaded
    splunk = next(v for v in report.vendors if v.vendor == "splunk")
    assert splunk.unknown_data_sources and "Sysmon EventID 1" not in splunk.unknown_data_sources
    assert "not in its catalogue" in report.summary()


def test_powershell_is_one_indicator_across_vendors(loaded: tuple[Driver, LoadReport]) -> None:
    """Sigma `Image|endswith: '\\powershell.exe'`, Elastic `process.name : "powershell.exe"` and Splunk
    `Processes.process_name=powershell.exe` land on one canonical indicator, its reach counted per vendor."""
    drv, _ = loaded
    rows = drv.execute_query(
        "MATCH (i:Indicator {field: 'process.name', operator: 'eq', value: 'powershell.exe'})"
        "<-[h:HAS_PREDICATE]-(r:Rule) "
        "WITH i, r.vendor AS vendor, collect(DISTINCT h.vendor_field) AS spellings, count(DISTINCT r) AS rules "
        "RETURN i.reach AS reach, i.reach_sigma AS sigma, i.reach_elastic AS elastic, i.reach_splunk AS splunk, "
        "vendor, spellings, rules").records
    by_vendor = {r["vendor"]: r for r in rows}
    assert set(by_vendor) == {"sigma", "elastic", "splunk"}
    assert "sigma|process_creation|Image" in by_vendor["sigma"]["spellings"]
    assert "elastic|process.name" in by_vendor["elastic"]["spellings"]
    assert "splunk|Processes.process_name" in by_vendor["splunk"]["spellings"]
    first = rows[0]
    assert min(first["sigma"], first["elastic"], first["splunk"]) > 20
    assert first["reach"] >= first["sigma"] + first["elastic"] + first["splunk"] - 5  # deprecated rules excluded
    assert first["reach"] <= first["sigma"] + first["elastic"] + first["splunk"]


def test_indicators_shared_across_vendors(loaded: tuple[Driver, LoadReport]) -> None:
    drv, _ = loaded
    shared = scalar(drv, "MATCH (i:Indicator) WHERE size([n IN [i.reach_sigma, i.reach_elastic, i.reach_splunk] "
                         "WHERE n > 0]) > 1 RETURN count(i)")
    assert shared > 1000  # none before the normalization layer: the indicator key hashed the vendor


def test_shared_indicator_reach_counts_rules(loaded: tuple[Driver, LoadReport]) -> None:
    drv, _ = loaded
    top = drv.execute_query("MATCH (i:Indicator)<-[h:HAS_PREDICATE]-(r:Rule) WITH i, count(DISTINCT r) AS rules "
                            "RETURN i.field AS field, i.value AS value, rules ORDER BY rules DESC LIMIT 1").records[0]
    assert top["rules"] > 50  # e.g. Sigma's Image endswith powershell.exe family is shared by many rules


def test_full_reload_writes_nothing(loaded: tuple[Driver, LoadReport], corpora: Path) -> None:
    drv, first = loaded
    again = run_load(drv, None, attack=corpora / "attack" / "enterprise-attack.json.gz", attack_version="18.1",
                     corpora={v: corpora / v for v in ("sigma", "elastic", "splunk")})
    assert again.attack is not None and again.attack["written"] is False
    assert [(v.vendor, v.written, v.unchanged, v.removed) for v in again.vendors] == [
        (v.vendor, 0, v.rules, 0) for v in first.vendors]
