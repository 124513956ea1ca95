"""Benchmark the first load of all corpora into a Neo4j just started on an empty store, against the floor.

Usage: python bench/bench_load.py [CORPUS_ROOT]   (default ../shared/corpora beside the repository)

In one run, on this machine:
  floor     just reading and parsing every file with the fastest readers and no interpretation (PyYAML's
            CSafeLoader for Sigma and Splunk, tomli for Elastic, gzip + json for ATT&CK);
  start     a fresh throw-away Neo4j (ports 7689/7476, or $DETGRAPH_BENCH_BOLT_PORT / _HTTP_PORT; state in
            .detgraph/bench-neo4j, wiped first) started and ready;
  load      `detgraph load` of ATT&CK + Sigma + Elastic + Splunk into it, as a user runs it (a subprocess,
            with a cold parse cache: a fresh machine's first load);
  reload    the same command again, nothing changed;
  force     the same with --force (every rule rewritten);
and prints the ratios (load / floor, reload / floor, force / load), the loader's peak RSS, nodes and
relationships written per second, and the store's size on disk.
"""
from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from graph_schema.db import connect  # noqa: E402
from graph_schema.fingerprint import fingerprint  # noqa: E402
from graph_schema.server import LocalServer  # noqa: E402
from graph_schema.testing import throwaway_settings  # noqa: E402


def floor(corpora: Path) -> float:
    """Seconds to read and parse every file of the corpora with no interpretation."""
    t0 = time.perf_counter()
    for folder in ("rules", "rules-emerging-threats", "rules-threat-hunting", "rules-compliance", "rules-placeholder",
                   "deprecated"):
        for path in sorted((corpora / "sigma" / folder).rglob("*.yml")):
            list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
    for folder in ("rules", "rules_building_block"):
        for path in sorted((corpora / "elastic" / folder).rglob("*.toml")):
            tomli.loads(path.read_text(encoding="utf-8"))
    for folder in ("detections", "macros", "data_sources"):
        for path in sorted((corpora / "splunk" / folder).rglob("*.yml")):
            yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
    with gzip.open(corpora / "attack" / "enterprise-attack.json.gz", "rt", encoding="utf-8") as fh:
        json.load(fh)
    return time.perf_counter() - t0


def du(path: Path) -> int:
    """Bytes under `path`."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(corpora: Path) -> None:
    """Measure and print."""
    settings = throwaway_settings(int(os.environ.get("DETGRAPH_BENCH_BOLT_PORT", "7689")),
                                  int(os.environ.get("DETGRAPH_BENCH_HTTP_PORT", "7476")), "bench-neo4j",
                                  state_root=REPO_ROOT / ".detgraph", heap="1g", pagecache="512m")
    server = LocalServer(settings)
    server.stop()
    shutil.rmtree(settings.state_dir, ignore_errors=True)
    floor_s = min(floor(corpora) for _ in range(2))
    t0 = time.perf_counter()
    server.start()
    start_s = time.perf_counter() - t0
    cache = Path(tempfile.mkdtemp(prefix="detgraph-bench-cache-"))
    env = {**os.environ, "NEO4J_URI": settings.neo4j_uri, "NEO4J_PASSWORD": settings.neo4j_password,
           "DETGRAPH_STATE_DIR": str(settings.state_dir), "DETGRAPH_CACHE_DIR": str(cache),
           "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "api.cli", "load", "--quiet", "--attack-version", "18.1",
               "--attack", str(corpora / "attack" / "enterprise-attack.json.gz"),
               *(arg for v in ("sigma", "elastic", "splunk") for arg in (f"--{v}", str(corpora / v)))]

    def timed(*extra: str) -> float:
        t = time.perf_counter()
        subprocess.run([*command, *extra], env=env, check=True, capture_output=True, text=True)
        return time.perf_counter() - t

    try:
        load_s = timed()
        driver = connect(settings)
        try:
            print_counts = fingerprint(driver)
        finally:
            driver.close()
        reload_s = timed()
        force_s = timed("--force")
        rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        store_mb = du(settings.state_dir / "neo4j" / "data") / 1e6
    finally:
        server.stop()
        shutil.rmtree(cache, ignore_errors=True)
    nodes, rels = sum(print_counts.nodes.values()), sum(print_counts.relationships.values())
    print(f"{'floor (read + parse, no interpretation)':<44}{floor_s:8.2f} s")
    print(f"{'Neo4j start (empty store)':<44}{start_s:8.2f} s")
    print(f"{'first load, server just started, cold cache':<44}{load_s:8.2f} s   load / floor  {load_s / floor_s:5.2f}")
    print(f"{'unchanged reload':<44}{reload_s:8.2f} s   reload / floor {reload_s / floor_s:5.2f}")
    print(f"{'--force rewrite of every rule':<44}{force_s:8.2f} s   force / load  {force_s / load_s:5.2f}")
    print(f"{'loader peak RSS':<44}{rss_mib:8.0f} MiB")
    print(f"{'written':<44}{nodes:8d} nodes ({nodes / load_s:,.0f}/s), {rels} relationships ({rels / load_s:,.0f}/s)")
    print(f"{'store on disk after the three loads':<44}{store_mb:8.0f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else (REPO_ROOT.parent / "shared" / "corpora").resolve())
