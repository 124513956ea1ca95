"""Benchmark the whole load into Neo4j against the time to just read and parse the same files.

Usage: python bench/bench_load.py [CORPUS_ROOT]   (default ../shared/corpora relative to the repo root)

Runs its own Neo4j (ports 7689/7476, or $DETGRAPH_BENCH_BOLT_PORT / _HTTP_PORT; state in .detgraph/bench-neo4j)
so it never touches a loaded graph, empties it, then in one run measures per vendor: parse only (files ->
rules), the full load into the empty graph, and the reload of the unchanged corpus; prints their ratios.
Also the ATT&CK load alone.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from graph_schema.db import connect  # noqa: E402
from graph_schema.server import LocalServer  # noqa: E402
from graph_schema.testing import clean_graph, throwaway_settings  # noqa: E402
from loader.pipeline import parse_corpus, run_load  # noqa: E402
from loader.report import VendorReport  # noqa: E402
from loader.vendors import LOADERS  # noqa: E402


def main(corpora: Path) -> None:
    """Measure and print."""
    settings = throwaway_settings(int(os.environ.get("DETGRAPH_BENCH_BOLT_PORT", "7689")),
                                  int(os.environ.get("DETGRAPH_BENCH_HTTP_PORT", "7476")), "bench-neo4j",
                                  state_root=REPO_ROOT / ".detgraph", heap="1g", pagecache="512m")
    server = LocalServer(settings)
    started = server.pid() is None
    server.start()
    driver = connect(settings)
    try:
        clean_graph(driver)
        bundle = corpora / "attack" / "enterprise-attack.json.gz"
        t0 = time.perf_counter()
        run_load(driver, None, attack=bundle, attack_version="18.1")
        attack_s = time.perf_counter() - t0
        print(f"ATT&CK load (parse + write, empty graph): {attack_s:.2f}s")
        print(f"{'vendor':>8} {'rules':>6} {'preds':>7} {'parse s':>8} {'load s':>8} {'reload s':>9} "
              f"{'load/parse':>11} {'reload/parse':>13}")
        for vendor, loader_cls in LOADERS.items():
            root = corpora / vendor
            t0 = time.perf_counter()
            parsed = VendorReport(vendor, str(root))
            parse_corpus(loader_cls(root), parsed)
            parse_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            run_load(driver, None, corpora={vendor: root})
            load_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = run_load(driver, None, corpora={vendor: root})
            reload_s = time.perf_counter() - t0
            assert again.vendors[0].written == 0, "reload rewrote rules: the corpus or the hash is not stable"
            print(f"{vendor:>8} {parsed.rules:>6} {parsed.predicates:>7} {parse_s:>8.2f} {load_s:>8.2f} "
                  f"{reload_s:>9.2f} {load_s / parse_s:>11.2f} {reload_s / parse_s:>13.2f}")
    finally:
        driver.close()
        if started:
            server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else (REPO_ROOT.parent / "shared" / "corpora").resolve())
