"""Loading the hostile corpus (tests/hostile.py): exit 0, no traceback, every bad file reported with a reason,
every good rule loaded, and nothing else in the graph than a load of the good files alone makes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from neo4j import Driver

from graph_schema.fingerprint import fingerprint
from graph_schema.settings import Settings
from graph_schema.testing import clean_graph
from loader.pipeline import run_load
from tests.conftest import ECS, FIXTURES, REPO_ROOT
from tests.hostile import HostileCorpus, write_corpus

pytestmark = pytest.mark.neo4j

BUNDLE = FIXTURES / "attack" / "enterprise-attack.json"


def detgraph(settings: Settings, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`detgraph ARGS` in a fresh process against the test server (no detgraph.toml, state in `cwd`)."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "NEO4J_URI": settings.neo4j_uri,
           "NEO4J_PASSWORD": settings.neo4j_password, "DETGRAPH_STATE_DIR": str(cwd / "state"),
           "DETGRAPH_CONFIG": str(cwd / "no-such-detgraph.toml")}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900, check=False)


def load_args(corpus: HostileCorpus, report: Path) -> list[str]:
    """`detgraph load` options for the whole corpus."""
    return ["load", "--quiet", "--attack", str(BUNDLE), "--report", str(report),
            *[arg for vendor, root in corpus.roots.items() for arg in (f"--{vendor}", str(root))]]


def rule_paths(drv: Driver, vendor: str) -> dict[str, bool]:
    """path -> partial of the vendor's rules in the graph."""
    records = drv.execute_query("MATCH (r:Rule {vendor: $v}) RETURN r.path AS path, r.partial AS partial",
                                v=vendor).records
    return {r["path"]: bool(r["partial"]) for r in records}


@pytest.fixture(scope="module")
def hostile_load(graph: Driver, neo4j_settings: Settings,
                 tmp_path_factory: pytest.TempPathFactory) -> tuple[HostileCorpus, subprocess.CompletedProcess[str],
                                                                    dict]:
    """The hostile corpus loaded through the CLI: the corpus, the process result and the saved report."""
    tmp = tmp_path_factory.mktemp("hostile")
    corpus = write_corpus(tmp / "corpus")
    result = detgraph(neo4j_settings, tmp, *load_args(corpus, tmp / "report.json"))
    report = json.loads((tmp / "report.json").read_text()) if (tmp / "report.json").is_file() else {}
    return corpus, result, report


def test_hostile_load_exits_0_without_traceback(hostile_load) -> None:  # type: ignore[no-untyped-def]
    _, result, report = hostile_load
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert [v["vendor"] for v in report["vendors"]] == ["sigma", "elastic", "splunk"]


@pytest.mark.parametrize("vendor", ["sigma", "elastic", "splunk"])
def test_hostile_load_reports_every_bad_file_with_a_reason(hostile_load, vendor: str) -> None:  # type: ignore[no-untyped-def]
    corpus, _, report = hostile_load
    (section,) = [v for v in report["vendors"] if v["vendor"] == vendor]
    reasons = {f["path"]: f["reason"] for f in section["failures"]}
    assert set(reasons) == corpus.paths(vendor, "failure", "duplicate", "support")
    assert all(reason.strip() and "Traceback" not in reason for reason in reasons.values())
    assert all(reasons[p].startswith("duplicate rule id") for p in corpus.paths(vendor, "duplicate"))
    assert {p["path"] for p in section["partials"]} == corpus.paths(vendor, "partial")
    assert all(p["issues"] for p in section["partials"])


@pytest.mark.parametrize("vendor", ["sigma", "elastic", "splunk"])
def test_hostile_load_loads_every_good_rule(hostile_load, graph: Driver, vendor: str) -> None:  # type: ignore[no-untyped-def]
    corpus, _, _ = hostile_load
    loaded = rule_paths(graph, vendor)
    assert set(loaded) == corpus.paths(vendor, "good", "partial")
    assert {path for path, partial in loaded.items() if not partial} == corpus.paths(vendor, "good")


def test_hostile_load_leaves_the_graph_a_good_load_makes(hostile_load, graph: Driver,  # type: ignore[no-untyped-def]
                                                         tmp_path: Path) -> None:
    after_hostile = fingerprint(graph)
    good = write_corpus(tmp_path / "good", kinds=("good", "partial"))
    clean_graph(graph)
    run_load(graph, None, attack=BUNDLE, ecs=ECS, corpora=good.roots)
    assert fingerprint(graph) == after_hostile


def test_hostile_oversized_values_load_and_a_refused_rule_spares_its_batch(graph: Driver, neo4j_settings: Settings,
                                                                          tmp_path: Path) -> None:
    # Defect 1 of issue #14: a 5 MB value or a 10 KB title aborted the whole load. Long values are kept whole (no
    # range index holds them); a rule Neo4j still refuses (a 10 KB id, over the unique index's key limit) is
    # reported with its reason and skipped, and its batch-mates land.
    clean_graph(graph)
    corpus = write_corpus(tmp_path / "corpus", kinds=("good",), oversize=True)
    report_path = tmp_path / "report.json"
    result = detgraph(neo4j_settings, tmp_path, *load_args(corpus, report_path))
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())
    sigma = next(v for v in report["vendors"] if v["vendor"] == "sigma")
    refused = [f for f in sigma["failures"] if "Neo4j refused it" in f["reason"]]
    assert [f["path"] for f in refused] == [p for p in corpus.paths("sigma", "refused")]
    longest = graph.execute_query("MATCH (:Rule)-[:HAS_PREDICATE]->(i:Indicator) RETURN max(size(i.value)) AS n"
                                  ).records[0]["n"]
    title = graph.execute_query("MATCH (r:Rule {vendor: 'elastic'}) RETURN max(size(r.title)) AS n").records[0]["n"]
    assert (longest, title) == (5_000_000, 10_000)
    good = graph.execute_query("MATCH (r:Rule {vendor: 'sigma'}) RETURN count(r) AS n").records[0]["n"]
    assert good == len(corpus.paths("sigma", "good")) + len(corpus.paths("sigma", "oversize"))