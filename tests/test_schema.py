"""The schema: documented in docs/graph-model.md, applied idempotently, versioned in the graph."""
from __future__ import annotations

import re

import pytest
from neo4j import Driver

from graph_schema.schema import FULLTEXT_INDEX, NODE_LABELS, RELATIONSHIPS, SCHEMA_VERSION, apply_schema, schema_version
from tests.conftest import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "graph-model.md").read_text()


@pytest.mark.parametrize("label", [n.label for n in NODE_LABELS])
def test_schema_doc_names_every_label(label: str) -> None:
    assert f"| `{label}` |" in DOC


@pytest.mark.parametrize("rel", [r[0] for r in RELATIONSHIPS])
def test_schema_doc_names_every_relationship(rel: str) -> None:
    assert f"| `{rel}` |" in DOC  # table row
    assert re.search(rf'-->\|"?{rel}\b', DOC)  # diagram edge


@pytest.mark.neo4j
def test_schema_apply_is_idempotent_and_versioned(graph: Driver) -> None:
    apply_schema(graph)
    constraints = graph.execute_query("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n").records[0]["n"]
    indexes = graph.execute_query("SHOW INDEXES YIELD name RETURN collect(name) AS names").records[0]["names"]
    apply_schema(graph)
    assert graph.execute_query("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n").records[0]["n"] == constraints
    assert constraints == len(NODE_LABELS)
    assert FULLTEXT_INDEX in indexes
    assert schema_version(graph) == SCHEMA_VERSION


@pytest.mark.neo4j
def test_fulltext_index_finds_rule_by_description_word(graph: Driver) -> None:
    graph.execute_query("CREATE (:Rule {uid: 'x:1', title: 'Kubectl exec', description: 'container shell spawned'})")
    graph.execute_query("CALL db.awaitIndexes(60)")
    hits = graph.execute_query(f"CALL db.index.fulltext.queryNodes('{FULLTEXT_INDEX}', 'container') "
                               "YIELD node RETURN node.uid AS uid").records
    assert [h["uid"] for h in hits] == ["x:1"]
    graph.execute_query("MATCH (r:Rule {uid: 'x:1'}) DELETE r")
