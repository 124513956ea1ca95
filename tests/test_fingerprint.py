"""graph_schema/fingerprint.py and `detgraph db fingerprint`: counts, and a digest stable across identical loads."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from neo4j import Driver

from api.cli import cli
from graph_schema.fingerprint import VOLATILE, fingerprint
from graph_schema.settings import Settings
from graph_schema.testing import clean_graph
from loader.pipeline import run_load
from tests.conftest import ECS, FIXTURES

pytestmark = pytest.mark.neo4j

BUNDLE = FIXTURES / "attack" / "enterprise-attack.json"


@pytest.fixture()
def corpus(tmp_path: Path) -> dict[str, Path]:
    """A writable copy of tests/fixtures/pipeline."""
    shutil.copytree(FIXTURES / "pipeline", tmp_path / "corpus")
    return {vendor: tmp_path / "corpus" / vendor for vendor in ("sigma", "elastic", "splunk")}


def test_fingerprint_counts_labels_and_relationships(graph: Driver, corpus: dict[str, Path]) -> None:
    clean_graph(graph)
    assert fingerprint(graph).nodes == {} and fingerprint(graph).relationships == {}
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=corpus)
    fp = fingerprint(graph)
    assert fp.nodes["Rule"] == 5 and fp.nodes["Vendor"] == 3
    assert fp.relationships["FROM_VENDOR"] == 5 and fp.relationships["HAS_PREDICATE"] > 0
    assert sum(fp.nodes.values()) >= graph.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]


def test_fingerprint_idempotent_load_and_forced_reload(graph: Driver, corpus: dict[str, Path]) -> None:
    clean_graph(graph)
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=corpus)
    first = fingerprint(graph)
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=corpus)
    assert fingerprint(graph) == first
    before = {r["t"] for r in graph.execute_query("MATCH (r:Rule) RETURN r.loaded_at AS t").records}
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=corpus, force=True)  # rewrites every rule, loaded_at anew
    assert fingerprint(graph) == first
    assert "loaded_at" in VOLATILE and before


def test_fingerprint_changes_with_content_and_returns_with_it(graph: Driver, corpus: dict[str, Path]) -> None:
    clean_graph(graph)
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=corpus)
    first = fingerprint(graph)
    rule = corpus["sigma"] / "rules" / "windows" / "security_kubectl.yml"
    text = rule.read_text()
    rule.write_text(text.replace("kubectl exec", "kubectl cp"))
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=corpus)
    changed = fingerprint(graph)
    assert changed.digest != first.digest and changed.nodes["Rule"] == first.nodes["Rule"]
    rule.write_text(text)
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=corpus)
    assert fingerprint(graph) == first


def test_fingerprint_ignores_internal_ids(graph: Driver, corpus: dict[str, Path]) -> None:
    clean_graph(graph)
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=corpus)
    first = fingerprint(graph)
    clean_graph(graph)  # every node is created anew, with new element ids
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=corpus)
    assert fingerprint(graph) == first


def test_fingerprint_command_json_and_text(graph: Driver, neo4j_settings: Settings, corpus: dict[str, Path],
                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_graph(graph)
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=corpus)
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.neo4j_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j_password)
    monkeypatch.setenv("DETGRAPH_STATE_DIR", str(tmp_path / "state"))
    config = ["--config", str(tmp_path / "none.toml")]
    as_json = CliRunner().invoke(cli, [*config, "db", "fingerprint", "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data == fingerprint(graph).to_dict()
    assert data["volatile"] == ["generation", "loaded_at", "parse_digest", "root_*"]
    text = CliRunner().invoke(cli, [*config, "db", "fingerprint"])
    assert text.exit_code == 0 and f"digest {data['digest']}" in text.output and "Rule" in text.output
