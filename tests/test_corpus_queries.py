"""Every saved query on the full corpora graph: it runs with its example parameters, returns the columns its
header declares, and answers the questions detgraph exists for with real content."""
from __future__ import annotations

import pytest
from neo4j import Driver

from loader.report import LoadReport
from queries.catalog import Result, get_query, load_catalog, run

pytestmark = [pytest.mark.neo4j, pytest.mark.corpus]

POWERSHELL = "ab4dfb384b826c38232f8b21fdfab2c3df0f75ee"  # process.name eq powershell.exe


def ask(drv: Driver, name: str, **params: object) -> Result:
    q = get_query(name)
    return run(drv, q, {**q.examples(), **params})


@pytest.mark.parametrize("name", sorted(load_catalog()))
def test_query_runs_with_its_example(full_graph: tuple[Driver, LoadReport], name: str) -> None:
    drv, _ = full_graph
    result = ask(drv, name)
    assert result.columns == list(get_query(name).columns), "the header's columns must be what the query returns"
    assert result.rows, f"{name} returned nothing for its example parameters"


def test_technique_guide_t1609(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    guide = ask(drv, "technique_guide", technique="T1609", limit=100).rows[0]
    assert guide["technique"]["name"] == "Container Administration Command" and guide["technique"]["rules"] >= 30
    fields = {f["field"]: f for f in guide["fields"]}
    for name in ("kubernetes.audit.verb", "kubernetes.audit.objectRef.resource"):
        assert name in fields, name
    assert {"sigma", "elastic"} <= set(fields["kubernetes.audit.verb"]["vendors"])
    assert {g["vendor"] for g in guide["rules"]} >= {"sigma", "elastic"}
    assert guide["events"], "the T1609 rules read at least one catalog event"
    top = guide["indicators"][0]
    assert top["rules"] >= 2 and top["reach"] >= top["rules"]
    assert all(not i["field"].startswith(("event.category", "host.os.type")) for i in guide["indicators"])


def test_technique_guide_rollup_adds_subtechniques(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    alone = ask(drv, "technique_guide", technique="T1059").rows[0]["technique"]
    rolled = ask(drv, "technique_guide", technique="T1059", rollup=True).rows[0]["technique"]
    assert "T1059.001" in rolled["subtechniques"] and rolled["rules"] > alone["rules"] + 300


def test_powershell_indicator_shows_all_three_vendors(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    view = ask(drv, "indicator_view", key=POWERSHELL, limit=2000).rows[0]
    assert (view["indicator"]["field"], view["indicator"]["operator"], view["indicator"]["value"]) == (
        "process.name", "eq", "powershell.exe")
    assert {r["vendor"] for r in view["rules"]} == {"sigma", "elastic", "splunk"}
    written = {w["field"] for r in view["rules"] for w in r["written"]}
    assert {"Image", "process.name", "Processes.process_name"} <= written
    assert view["indicator"]["exclusion_rules"] > 0 and view["techniques"]


def test_shared_indicators_span_techniques(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    rows = ask(drv, "shared_indicators", techniques=[], vendor=None, min_techniques=20, limit=50).rows
    assert rows and all(r["techniques"] >= 20 for r in rows)
    assert any(len(r["vendors"]) == 3 for r in rows)
    within = ask(drv, "shared_indicators", techniques=["T1059.001", "T1218.011"], vendor=None, min_techniques=2).rows
    assert within and all(set(r["technique_ids"]) <= {"T1059.001", "T1218.011"} for r in within)


def test_exclusions_agreed_and_blast_radius(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    overlap = ask(drv, "exclusion_overlap", vendor=None, technique=None, cross_vendor=True, min_rules=5).rows
    assert overlap and all(len(r["vendors"]) > 1 and r["rules"] >= 5 for r in overlap)
    blast = ask(drv, "exclusion_blast_radius", key=overlap[0]["key"], limit=1000).rows[0]
    assert blast["indicator"]["excluding_rules"] == overlap[0]["rules"] == len(blast["excluded_by"])


def test_missing_exclusions_found_for_a_real_rule(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    rows = ask(drv, "missing_exclusions").rows
    assert rows and rows[0]["peers_using"] >= 2 and rows[0]["peers"] >= rows[0]["peers_using"]
    mine = {p["canonical"]["key"] for p in run(drv, get_query("rule_detail"), {"uid": get_query(
        "missing_exclusions").examples()["uid"]}).rows[0]["predicates"] if p["exclusion"]}
    assert not mine & {r["key"] for r in rows}


def test_field_view_spellings_across_vendors(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    view = ask(drv, "field_view", field="process.name").rows[0]
    assert {s["vendor"] for s in view["spellings"]} == {"sigma", "elastic", "splunk"}
    assert view["field"]["rules_sigma"] > 500 and view["operators"][0]["operator"] == "eq"
    assert view["values"][0]["reach"] >= view["values"][-1]["reach"]


def test_coverage_questions(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    tactics = ask(drv, "coverage_by_tactic").rows
    assert [t["order"] for t in tactics] == list(range(14))
    assert all(t["covered"] <= t["techniques"] for t in tactics)
    matrix = {r["id"]: r for r in ask(drv, "coverage_matrix", tactic=None).rows}
    assert len(matrix) > 600 and matrix["T1609"]["sigma"] >= 3 and matrix["T1609"]["elastic"] >= 30
    gaps = ask(drv, "techniques_without_rules", vendor=None, tactic=None).rows
    assert gaps and all(matrix[g["id"]]["total"] == 0 for g in gaps if g["id"] in matrix)
    alone = ask(drv, "techniques_single_vendor", vendor=None).rows
    assert alone and all(matrix[r["id"]]["vendors"] == 1 for r in alone if r["id"] in matrix)


def test_telemetry_what_if_and_next_event(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    # Windows process creation is read from Sysmon 1, Security 4688 and EDR events alike: only losing both
    # Windows providers takes the telemetry of many rules away
    what_if = ask(drv, "telemetry_what_if", remove_providers=["sysmon", "windows-security"], vendor=None,
                  limit=5000).rows[0]
    assert what_if["summary"]["rules_losing"] > 100 and what_if["techniques"]
    assert all(t["after"] < t["before"] for t in what_if["techniques"])
    best = ask(drv, "best_next_event", have_events=[], vendor=None).rows
    assert best and best[0]["new_techniques"] >= best[-1]["new_techniques"]


def test_similar_rules_and_cross_vendor_duplicates(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    pairs = ask(drv, "cross_vendor_duplicates", vendor=None, min_jaccard=0.6).rows
    assert pairs and all(p["a_vendor"] != p["b_vendor"] and p["jaccard"] >= 0.6 for p in pairs)
    similar = ask(drv, "similar_rules", uid=pairs[0]["a_uid"], other_vendors=True).rows
    assert pairs[0]["b_uid"] in {r["uid"] for r in similar}


def test_events_and_browser_graphs(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    event = ask(drv, "event_view", event="sysmon:1").rows[0]
    assert event["event"]["rules"] > 500 and {"sigma", "elastic", "splunk"} <= {
        v for t in event["techniques"] for v in t["vendors"]}
    paths = ask(drv, "graph_technique", technique="T1609").rows
    labels = {label for r in paths for n in r["path"]["nodes"] for label in n["_labels"]}
    assert {"Technique", "Rule", "Indicator", "Field"} <= labels
