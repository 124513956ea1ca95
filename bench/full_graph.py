"""The full-corpora graph the benchmarks share: a throw-away Neo4j holding ATT&CK 18.1 and the three corpora.

`bench_check.py` and `bench_queries.py` both time questions against it: `full_graph_settings` names the server
(ports from the arguments, else $DETGRAPH_BENCH_BOLT_PORT / _HTTP_PORT, else 7689/7476; state kept in
`.detgraph/<name>`), `load_full_graph` loads the corpora of CORPUS_ROOT on the first run and finds them
unchanged on later ones.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from graph_schema.settings import Settings
from graph_schema.testing import throwaway_settings
from loader.pipeline import run_load

if TYPE_CHECKING:
    from neo4j import Driver

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "corpora"


FULL_GRAPH_SERVER = "bench-full-neo4j"
"""The one server (state folder name) the full-graph benchmarks share: one load, one store on disk."""


def full_graph_settings(name: str = FULL_GRAPH_SERVER, bolt_port: int | None = None,
                        http_port: int | None = None) -> Settings:
    """Settings of the benchmark server `name` (heap 1 GiB, page cache 512 MiB)."""
    return throwaway_settings(bolt_port or int(os.environ.get("DETGRAPH_BENCH_BOLT_PORT", "7689")),
                              http_port or int(os.environ.get("DETGRAPH_BENCH_HTTP_PORT", "7476")), name,
                              state_root=REPO_ROOT / ".detgraph", heap="1g", pagecache="512m")


def load_full_graph(driver: Driver, corpora: Path = DEFAULT_CORPORA) -> None:
    """Load (or find unchanged) ATT&CK 18.1 and the sigma, elastic and splunk corpora of `corpora`; prints a line."""
    start = time.perf_counter()
    report = run_load(driver, None, attack=corpora / "attack" / "enterprise-attack.json.gz", attack_version="18.1",
                      corpora={v: corpora / v for v in ("sigma", "elastic", "splunk")})
    rules = sum(v.rules for v in report.vendors)
    print(f"graph: {rules} rules of {corpora} loaded (or found unchanged) in {time.perf_counter() - start:.1f} s",
          flush=True)
