"""The load pipeline on hand-written fixture corpora: every node and relationship type, idempotent reload,
changed-rule replacement, removal, revoked-id resolution, the report, `rule show`, export."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from neo4j import Driver

from api.cli import cli
from graph_schema.errors import BundleError, ConfigError
from graph_schema.schema import NODE_LABELS, RELATIONSHIPS
from loader.pipeline import run_load
from loader.rows import ROW_FORMAT
from queries.rule_detail import rule_detail
from tests.conftest import ECS, FIXTURES

pytestmark = pytest.mark.neo4j

BUNDLE = FIXTURES / "attack" / "enterprise-attack.json"
HIDDEN_PS = "sigma:0d6a6f2e-1f1c-4a7b-9a43-6f7d7a9b0001"


@pytest.fixture()
def corpus(tmp_path: Path) -> dict[str, Path]:
    """A writable copy of tests/fixtures/pipeline (tests edit rules in it)."""
    root = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "pipeline", root)
    return {vendor: root / vendor for vendor in ("sigma", "elastic", "splunk")}


def counts(drv: Driver) -> tuple[dict[str, int], dict[str, int]]:
    """Nodes per label and relationships per type."""
    nodes = {r["label"]: r["n"] for r in drv.execute_query(
        "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n").records}
    rels = {r["type"]: r["n"] for r in drv.execute_query(
        "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n").records}
    return nodes, rels


def load(drv: Driver, corpus: dict[str, Path], **kw):  # type: ignore[no-untyped-def]
    return run_load(drv, None, attack=BUNDLE, corpora=corpus, ecs=ECS, **kw)


def test_load_creates_every_node_and_relationship_type(graph: Driver, corpus: dict[str, Path]) -> None:
    report = load(graph, corpus)
    nodes, rels = counts(graph)
    assert {n.label for n in NODE_LABELS} <= set(nodes), set(n.label for n in NODE_LABELS) - set(nodes)
    expected = {r[0] for r in RELATIONSHIPS} - {"SIMILAR_TO"}  # no near-duplicates here: tests/test_corpus_queries.py
    assert expected <= set(rels), expected - set(rels)
    by_vendor = {v.vendor: v for v in report.vendors}
    assert by_vendor["sigma"].rules == 3 and by_vendor["sigma"].failed == 1
    assert by_vendor["sigma"].failures[0]["path"].endswith("broken.yml")
    assert by_vendor["elastic"].rules == 1 and by_vendor["splunk"].rules == 1
    assert report.attack is not None and report.attack["tactics"] == 4


def test_reload_is_idempotent(graph: Driver, corpus: dict[str, Path]) -> None:
    load(graph, corpus)
    before = counts(graph)
    second = load(graph, corpus)
    assert counts(graph) == before
    assert all(v.written == 0 and v.unchanged == v.rules for v in second.vendors)
    forced = load(graph, corpus, force=True)
    assert counts(graph) == before
    assert sum(v.written for v in forced.vendors) == 5


def test_revoked_technique_resolves_to_replacement(graph: Driver, corpus: dict[str, Path]) -> None:
    report = load(graph, corpus)
    rec = graph.execute_query(
        "MATCH (:Rule {uid: $uid})-[d:DETECTS]->(t:Technique) RETURN t.id AS id, d.tagged_as AS tagged",
        uid=HIDDEN_PS).records
    assert [(r["id"], r["tagged"]) for r in rec] == [("T1059.001", ["T1086"])]
    sigma = next(v for v in report.vendors if v.vendor == "sigma")
    assert sigma.techniques["revoked→T1059.001"] == ["T1086"]
    assert "revoked" in report.summary()


def test_exclusions_and_correlation_in_graph(graph: Driver, corpus: dict[str, Path]) -> None:
    load(graph, corpus)
    rows = graph.execute_query(
        "MATCH (:Rule {uid: $uid})-[h:HAS_PREDICATE]->(i:Indicator) RETURN i.field AS f, h.exclusion AS ex, "
        "h.negated AS neg ORDER BY h.idx", uid=HIDDEN_PS).records
    assert ("process.parent.name", True, True) in [(r["f"], r["ex"], r["neg"]) for r in rows]  # ParentImage
    assert ("process.name", False, False) in [(r["f"], r["ex"], r["neg"]) for r in rows]  # Image|endswith
    corr = graph.execute_query("MATCH (c:Rule)-[:CORRELATES]->(t:Rule) RETURN t.uid AS uid").records
    assert [r["uid"] for r in corr] == [HIDDEN_PS]


def test_changed_rule_is_replaced(graph: Driver, corpus: dict[str, Path]) -> None:
    load(graph, corpus)
    path = corpus["sigma"] / "rules" / "windows" / "proc_creation_powershell_hidden.yml"
    path.write_text(path.read_text().replace("'\\explorer.exe'", "'\\svchost.exe'"))
    report = load(graph, corpus)
    assert next(v for v in report.vendors if v.vendor == "sigma").written == 1
    values = {r["v"] for r in graph.execute_query(
        "MATCH (:Rule {uid: $uid})-[:HAS_PREDICATE]->(i:Indicator {field: 'process.parent.name'}) RETURN i.value AS v",
        uid=HIDDEN_PS).records}
    assert values == {"svchost.exe"}
    explorer = graph.execute_query(  # the Splunk fixture still excludes explorer.exe: only its rule keeps it
        "MATCH (i:Indicator {field: 'process.parent.name', value: 'explorer.exe'})<-[:HAS_PREDICATE]-(r:Rule) "
        "RETURN collect(r.vendor) AS vendors").records
    assert explorer[0]["vendors"] == ["splunk"]


def test_disappeared_rule_is_removed_on_full_reload(graph: Driver, corpus: dict[str, Path]) -> None:
    load(graph, corpus)
    (corpus["sigma"] / "rules" / "windows" / "security_kubectl.yml").unlink()
    partial = load(graph, corpus, full=False)
    assert next(v for v in partial.vendors if v.vendor == "sigma").removed == 0
    full = load(graph, corpus)
    assert next(v for v in full.vendors if v.vendor == "sigma").removed == 1
    assert graph.execute_query("MATCH (r:Rule {title: 'Kubectl Exec Seen In Security Log'}) RETURN r").records == []
    assert graph.execute_query("MATCH (e:Event {event: '4688'}) RETURN e").records == []


def test_bad_bundle_is_clear_error_and_graph_untouched(graph: Driver, corpus: dict[str, Path], tmp_path: Path) -> None:
    load(graph, corpus)
    before = counts(graph)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(BundleError, match="bad.json"):
        run_load(graph, None, attack=bad)
    assert counts(graph) == before


def test_rule_detail_shape(graph: Driver, corpus: dict[str, Path]) -> None:
    load(graph, corpus)
    detail = rule_detail(graph, HIDDEN_PS)
    assert detail["vendor"] == "sigma" and detail["title"] == "Hidden PowerShell Window"
    assert detail["techniques"][0]["id"] == "T1059.001" and detail["techniques"][0]["tagged_as"] == ["T1086"]
    assert detail["provenance"]["content_hash"] and detail["logic"] is not None
    pred = next(p for p in detail["predicates"] if p["field"] == "Image")
    assert pred["operator"] == "endswith" and pred["value"] == "\\powershell.exe"
    assert pred["canonical"] == {"key": pred["canonical"]["key"], "field": "process.name", "field_kind": "ecs",
                                 "operator": "eq", "value": "powershell.exe", "qualifiers": []}
    assert pred["corpus_reach"] == 2 and pred["reach_by_vendor"] == {"sigma": 1, "elastic": 0, "splunk": 1}
    splunk = rule_detail(graph, "0d6a6f2e-1f1c-4a7b-9a43-6f7d7a9b0201")
    assert any(p["macro"] == "process_powershell" for p in splunk["predicates"])
    assert splunk["events"] and splunk["data_sources"] == ["Sysmon EventID 1"]


def test_cli_load_then_rule_show_json(neo4j_settings, graph: Driver, corpus: dict[str, Path], tmp_path) -> None:
    env = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password,
           "DETGRAPH_STATE_DIR": str(tmp_path / "state")}
    runner = CliRunner()
    res = runner.invoke(cli, ["load", "--attack", str(BUNDLE), "--sigma", str(corpus["sigma"]), "--ecs", str(ECS),
                                "--quiet"], env=env)
    assert res.exit_code == 0, res.output
    assert "sigma" in res.output and (tmp_path / "state" / "load-report.json").is_file()
    saved = json.loads((tmp_path / "state" / "load-report.json").read_text())
    assert saved["vendors"][0]["failures"][0]["reason"]
    shown = runner.invoke(cli, ["rule", "show", HIDDEN_PS, "--format", "json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["uid"] == HIDDEN_PS
    missing = runner.invoke(cli, ["rule", "show", "no-such-rule"], env=env)
    assert missing.exit_code == 1 and missing.output.strip() == "error: no rule with id 'no-such-rule'"


def test_export_graphml_and_json_round_trip(neo4j_settings, graph: Driver, corpus, tmp_path: Path) -> None:
    load(graph, corpus)
    nodes, rels = counts(graph)
    env = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password}
    for fmt in ("graphml", "json"):
        out = tmp_path / f"g.{fmt}"
        res = CliRunner().invoke(cli, ["export", "graph", "--format", fmt, "-o", str(out)], env=env)
        assert res.exit_code == 0, res.output
        g = nx.read_graphml(out) if fmt == "graphml" else nx.node_link_graph(json.loads(out.read_text()),
                                                                              edges="edges")
        assert g.number_of_nodes() == sum(nodes.values())  # every node has exactly one label
        assert g.number_of_edges() == sum(rels.values())


def _documented_keys(table_heading: str) -> set[str]:
    """Backticked keys in the first column of the table after `table_heading` in docs/rule-json.md."""
    doc = (FIXTURES.parent.parent / "docs" / "rule-json.md").read_text()
    table = doc.split(table_heading, 1)[1].split("\n\n", 2)[1]
    keys: set[str] = set()
    for line in table.splitlines()[2:]:
        keys |= set(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return keys


def test_rule_json_matches_its_documentation(graph: Driver, corpus: dict[str, Path]) -> None:
    load(graph, corpus)
    detail = rule_detail(graph, HIDDEN_PS)
    assert set(detail) == _documented_keys("uids to choose from.")
    assert set(detail["predicates"][0]) == _documented_keys("A predicate:")


def test_wrong_corpus_path_is_one_line_error_and_graph_untouched(graph: Driver, corpus, tmp_path: Path) -> None:
    load(graph, corpus)
    before = counts(graph)
    with pytest.raises(ConfigError, match="no sigma rules found under .*nothing was written"):
        run_load(graph, None, corpora={"sigma": corpus["elastic"]}, ecs=ECS)  # an Elastic checkout given as Sigma
    assert counts(graph) == before


def test_support_file_failures_are_reported(graph: Driver) -> None:
    report = run_load(graph, None, corpora={"splunk": FIXTURES / "splunk"}, ecs=ECS)
    paths = {f["path"] for f in report.vendors[0].failures}
    assert {"macros/broken_macro.yml", "data_sources/broken.yml"} <= paths


def test_sigma_vendor_fields_are_per_logsource(graph: Driver, corpus: dict[str, Path]) -> None:
    load(graph, corpus)
    query = ("MATCH (vf:VendorField {vendor: 'sigma', name: 'CommandLine'})-[:MAPS_TO]->(f:Field) "
             "RETURN vf.key AS key, vf.logsource AS logsource, f.name AS field ORDER BY key")
    rows = [r.data() for r in graph.execute_query(query).records]
    assert [(r["key"], r["logsource"]) for r in rows] == [
        ("sigma|process_creation|CommandLine", "process_creation"), ("sigma|security|CommandLine", "security")]
    assert rows[0]["field"] == "process.command_line"
    # a rule moving to another logsource leaves no stale vendor field behind
    path = corpus["sigma"] / "rules" / "windows" / "security_kubectl.yml"
    path.write_text(path.read_text().replace("service: security", "category: process_creation"))
    load(graph, corpus)
    keys = {r["key"] for r in graph.execute_query(query).records}
    assert keys == {"sigma|process_creation|CommandLine"}
    stale = graph.execute_query("MATCH (i:Indicator)-[:WRITTEN_AS]->(vf:VendorField {logsource: 'security'}) "
                                "RETURN count(*) AS n").records[0]["n"]
    assert stale == 0


def test_rule_written_in_an_older_format_is_rewritten(graph: Driver, corpus: dict[str, Path]) -> None:
    load(graph, corpus)
    graph.execute_query("MATCH (r:Rule {uid: $uid}) SET r.row_format = 1", uid=HIDDEN_PS)
    report = load(graph, corpus)
    assert [(v.vendor, v.written) for v in report.vendors] == [("sigma", 1), ("elastic", 0), ("splunk", 0)]
    assert graph.execute_query("MATCH (r:Rule {uid: $uid}) RETURN r.row_format AS f", uid=HIDDEN_PS
                               ).records[0]["f"] == ROW_FORMAT


def test_corpus_reach_counts_rules_not_predicates(graph: Driver, corpus: dict[str, Path]) -> None:
    path = corpus["sigma"] / "rules" / "windows" / "proc_creation_powershell_hidden.yml"
    again = "    selection_again:\n        Image|endswith: '\\powershell.exe'\n"
    text = path.read_text().replace("    filter_explorer:", again + "    filter_explorer:")
    path.write_text(text.replace("condition: selection and not", "condition: selection and selection_again and not"))
    load(graph, corpus)
    image = [p for p in rule_detail(graph, HIDDEN_PS)["predicates"] if p["field"] == "Image"]
    assert len(image) == 2 and {p["corpus_reach"] for p in image} == {2}  # this rule twice + the Splunk fixture
    assert {p["reach_by_vendor"]["sigma"] for p in image} == {1}


def test_unchanged_files_are_not_parsed_again_and_report_the_same(graph: Driver, corpus: dict[str, Path]) -> None:
    first = load(graph, corpus, force=True)
    again = load(graph, corpus)
    keys = ("rules", "predicates", "exclusions", "partial", "failed", "no_predicates", "partials", "empty",
            "techniques", "unknown_tactics", "unknown_data_sources")
    for a, b in zip(first.vendors, again.vendors, strict=True):
        assert {k: getattr(a, k) for k in keys} == {k: getattr(b, k) for k in keys}, a.vendor
        assert (b.written, b.unchanged) == (0, b.rules)
    path = corpus["sigma"] / "rules" / "windows" / "proc_creation_powershell_hidden.yml"
    path.write_text(path.read_text() + "\n# a comment: the bytes change, the rule does not\n")
    touched = load(graph, corpus)
    sigma = next(v for v in touched.vendors if v.vendor == "sigma")
    assert (sigma.written, sigma.rules) == (0, first.vendors[0].rules)
    digest = graph.execute_query("MATCH (r:Rule {uid: $uid}) RETURN r.source_digest AS d", uid=HIDDEN_PS).records
    assert digest[0]["d"] == hashlib.sha1(path.read_bytes()).hexdigest()  # remembered: not parsed next time
    macros = corpus["splunk"] / "macros"
    macro = sorted(macros.glob("*.yml"))[0]
    macro.write_text(macro.read_text() + "\n")  # a support file changed: every Splunk rule is read again
    reread = next(v for v in load(graph, corpus).vendors if v.vendor == "splunk")
    assert reread.parse_seconds > 0 and reread.unchanged == reread.rules
