"""Crash safety on a few hundred real rules: a loader killed mid-load, Neo4j stopped mid-load, a second load.

Each ends in the fingerprint of one clean load: killing the loader (`kill -9`) and loading again, stopping
the server (the load exits 2 with one line) and loading again once it is back, and loading twice.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from graph_schema.db import connect
from graph_schema.fingerprint import Fingerprint, fingerprint
from graph_schema.server import LocalServer
from graph_schema.settings import Settings
from graph_schema.testing import clean_graph
from tests.conftest import REPO_ROOT, second_server

pytestmark = [pytest.mark.neo4j, pytest.mark.corpus]

# (vendor, folder in the corpus, suffix, how many files): a few hundred rules, in the order they load
SUBSET = (("sigma", "rules/windows/process_creation", ".yml", 250), ("elastic", "rules/windows", ".toml", 150),
          ("splunk", "detections/endpoint", ".yml", 150))


@pytest.fixture(scope="module")
def subset(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A copy of a few hundred real rules of each vendor (Splunk with every macro and data source)."""
    root = tmp_path_factory.mktemp("subset")
    for vendor, folder, suffix, count in SUBSET:
        target = root / vendor / folder
        target.mkdir(parents=True)
        for path in sorted((corpora / vendor / folder).glob(f"*{suffix}"))[:count]:
            shutil.copy(path, target / path.name)
    for support in ("macros", "data_sources"):
        shutil.copytree(corpora / "splunk" / support, root / "splunk" / support)
    return {vendor: root / vendor for vendor, *_ in SUBSET}


def start_load(settings: Settings, corpora: Path, subset: dict[str, Path], cwd: Path) -> subprocess.Popen[str]:
    """`detgraph load` of ATT&CK and the subset, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "NEO4J_URI": settings.neo4j_uri,
           "NEO4J_PASSWORD": settings.neo4j_password, "DETGRAPH_STATE_DIR": str(cwd / "state"),
           "DETGRAPH_CONFIG": str(cwd / "no-such-detgraph.toml")}
    args = ["load", "--quiet", "--attack", str(corpora / "attack" / "enterprise-attack.json.gz"),
            "--attack-version", "18.1", *[a for vendor, root in subset.items() for a in (f"--{vendor}", str(root))]]
    return subprocess.Popen([sys.executable, "-m", "api.cli", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def load(settings: Settings, corpora: Path, subset: dict[str, Path], cwd: Path) -> tuple[int, str]:
    """Run a load to its end: exit code and everything it printed."""
    proc = start_load(settings, corpora, subset, cwd)
    out, err = proc.communicate(timeout=900)
    return proc.returncode, out + err


def rules_in(drv: Driver) -> int:
    """How many rules the graph holds now."""
    return drv.execute_query("MATCH (r:Rule) RETURN count(r) AS n").records[0]["n"]


def wait_for_rules(proc: subprocess.Popen[str], drv: Driver, timeout: float = 600) -> int:
    """Wait until the load has committed its first rules (and still runs); how many there are then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the load ended before it could be interrupted: {proc.communicate()}"
        n = rules_in(drv)
        if n:
            return n
        time.sleep(0.05)
    raise AssertionError("no rule was written in time")


@pytest.fixture(scope="module")
def clean_fingerprint(graph: Driver, neo4j_settings: Settings, corpora: Path, subset: dict[str, Path],
                      tmp_path_factory: pytest.TempPathFactory) -> tuple[Fingerprint, int]:
    """The fingerprint and rule count of one load of the subset into an empty graph."""
    clean_graph(graph)
    code, output = load(neo4j_settings, corpora, subset, tmp_path_factory.mktemp("clean"))
    assert code == 0, output
    return fingerprint(graph), rules_in(graph)


def test_crash_loader_killed_mid_load_then_rerun_gives_the_clean_graph(
        graph: Driver, neo4j_settings: Settings, corpora: Path, subset: dict[str, Path],
        clean_fingerprint: tuple[Fingerprint, int], tmp_path: Path) -> None:
    expected, total = clean_fingerprint
    clean_graph(graph)
    proc = start_load(neo4j_settings, corpora, subset, tmp_path)
    written = wait_for_rules(proc, graph)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert 0 < written < total and rules_in(graph) < total  # it was killed mid-load
    code, output = load(neo4j_settings, corpora, subset, tmp_path)
    assert code == 0, output
    assert fingerprint(graph) == expected


def test_crash_load_twice_is_idempotent(graph: Driver, neo4j_settings: Settings, corpora: Path,
                                        subset: dict[str, Path], clean_fingerprint: tuple[Fingerprint, int],
                                        tmp_path: Path) -> None:
    expected, _ = clean_fingerprint
    code, output = load(neo4j_settings, corpora, subset, tmp_path)  # onto the graph the last test left
    assert code == 0, output
    assert fingerprint(graph) == expected
    code, output = load(neo4j_settings, corpora, subset, tmp_path)
    assert code == 0, output
    report = json.loads((tmp_path / "state" / "load-report.json").read_text())
    assert [v["written"] for v in report["vendors"]] == [0, 0, 0]  # nothing changed: nothing rewritten
    assert fingerprint(graph) == expected


@pytest.fixture(scope="module")
def own_server() -> Iterator[Settings]:
    """A server this module may stop (never the shared test server)."""
    with second_server("crash-neo4j") as settings:
        yield settings


def test_crash_neo4j_stopped_mid_load_is_one_line_then_rerun_gives_the_clean_graph(
        own_server: Settings, corpora: Path, subset: dict[str, Path], clean_fingerprint: tuple[Fingerprint, int],
        tmp_path: Path) -> None:
    expected, total = clean_fingerprint
    server = LocalServer(own_server)
    with connect(own_server) as drv:
        proc = start_load(own_server, corpora, subset, tmp_path)
        written = wait_for_rules(proc, drv)
    server.stop()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, out + err
    assert 0 < written < total
    assert "Traceback" not in out + err
    (line,) = err.splitlines()  # the driver's retry warnings go to the log file, not here
    assert line.startswith("error: ") and "Neo4j" in line
    assert "details in" in line or "not reachable" in line
    server.start()
    code, output = load(own_server, corpora, subset, tmp_path)
    assert code == 0, output
    with connect(own_server) as drv:
        assert fingerprint(drv) == expected
