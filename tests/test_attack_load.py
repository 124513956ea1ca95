"""The real ATT&CK 18.1 bundle loaded into Neo4j."""
from __future__ import annotations

import pytest
from neo4j import Driver

from loader.pipeline import run_load

pytestmark = [pytest.mark.neo4j, pytest.mark.corpus]


@pytest.fixture(scope="module")
def attack_graph(graph: Driver, corpora) -> Driver:
    bundle = corpora / "attack" / "enterprise-attack.json.gz"
    bare = run_load(graph, None, attack=bundle)  # this bundle has no x-mitre-collection: no release in it
    assert bare.attack is not None and bare.attack["version"] is None
    report = run_load(graph, None, attack=bundle, attack_version="18.1")
    assert report.attack is not None and report.attack["version"] == "18.1"
    assert graph.execute_query("MATCH (m:Meta {key: 'attack'}) RETURN m.version AS v").records[0]["v"] == "18.1"
    return graph


def one(drv: Driver, query: str, **params):  # type: ignore[no-untyped-def]
    return drv.execute_query(query, params).records[0][0]


def test_attack_tactics_in_matrix_order(attack_graph: Driver) -> None:
    ids = [r["id"] for r in attack_graph.execute_query("MATCH (t:Tactic) RETURN t.id AS id ORDER BY t.order").records]
    assert len(ids) == 14 and ids[0] == "TA0043" and ids[-1] == "TA0040"


def test_attack_active_technique_count(attack_graph: Driver) -> None:
    assert one(attack_graph, "MATCH (t:Technique) WHERE NOT t.revoked AND NOT t.deprecated RETURN count(t)") == 691


def test_attack_t1609_under_execution(attack_graph: Driver) -> None:
    rec = attack_graph.execute_query(
        "MATCH (t:Technique {id: 'T1609'})-[:BELONGS_TO]->(ta:Tactic) RETURN t.name AS name, ta.name AS tactic"
    ).records
    assert [(r["name"], r["tactic"]) for r in rec] == [("Container Administration Command", "Execution")]


def test_attack_v18_chain_reaches_log_sources(attack_graph: Driver) -> None:
    n = one(attack_graph, "MATCH (:Technique {id: 'T1609'})-[:DETECTED_BY]->(:DetectionStrategy)-[:USES_ANALYTIC]->"
                          "(:Analytic)-[:READS_LOG]->(l:LogSource)-[:OF_COMPONENT]->(:DataComponent) "
                          "RETURN count(DISTINCT l)")
    assert n > 0
    assert one(attack_graph, "MATCH (s:DetectionStrategy) RETURN count(s)") == 691
    assert one(attack_graph, "MATCH (a:Analytic) RETURN count(a)") == 1739


def test_attack_revoked_techniques_point_at_replacements(attack_graph: Driver) -> None:
    assert one(attack_graph, "MATCH (:Technique {revoked: true})-[:REVOKED_BY]->(t:Technique) RETURN count(*)") > 100


def test_attack_reload_is_idempotent(attack_graph: Driver, corpora) -> None:
    query = "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r"
    before = attack_graph.execute_query(query).records[0].data()
    run_load(attack_graph, None, attack=corpora / "attack" / "enterprise-attack.json.gz", attack_version="18.1")
    assert attack_graph.execute_query(query).records[0].data() == before
