"""Benchmark CLI start-up: `python bench/bench_cli.py [--runs N]`.

Times whole `detgraph` processes end to end (interpreter start, imports, connecting, the query, output):
`--help`, `rule show` of one rule, and `query` when this checkout has that command, beside the floor
(`python -c pass`). Runs its own Neo4j, as bench_load (ports 7689/7476, or $DETGRAPH_BENCH_BOLT_PORT /
_HTTP_PORT; state in .detgraph/bench-neo4j), holding the fixture corpus of tests/fixtures/pipeline.
Prints min, median and max of N runs (default 10).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from api.cli import COMMANDS  # noqa: E402
from graph_schema.db import connect  # noqa: E402
from graph_schema.testing import throwaway_server, throwaway_settings  # noqa: E402
from loader.pipeline import run_load  # noqa: E402
from loader.vendors import VENDORS  # noqa: E402

PIPELINE = REPO_ROOT / "tests" / "fixtures" / "pipeline"  # data files only: nothing is imported from tests/
BUNDLE = REPO_ROOT / "tests" / "fixtures" / "attack" / "enterprise-attack.json"
RULE = "sigma:0d6a6f2e-1f1c-4a7b-9a43-6f7d7a9b0002"


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    """Wall seconds of `runs` runs of `argv` (after one warm-up run); each must exit 0."""
    times = []
    for n in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
        if n:
            times.append(elapsed)
    return times


def query_args() -> list[str] | None:
    """`query NAME --param ...` for the first saved query whose parameters all have examples, if any."""
    if "query" not in COMMANDS:
        return None
    try:
        from queries.catalog import load_catalog  # type: ignore[import-not-found]
    except ImportError:
        return None
    for name, q in sorted(load_catalog().items()):
        params = getattr(q, "parameters", ())
        if all(getattr(p, "example", None) is not None for p in params):
            return ["query", name, *[a for p in params for a in ("--param", f"{p.name}={p.example}")]]
    return None


def main(argv: list[str]) -> None:
    """Time each command and print the table."""
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 10
    settings = throwaway_settings(int(os.environ.get("DETGRAPH_BENCH_BOLT_PORT", "7689")),
                                  int(os.environ.get("DETGRAPH_BENCH_HTTP_PORT", "7476")), "bench-neo4j",
                                  state_root=REPO_ROOT / ".detgraph", heap="1g", pagecache="512m")
    with throwaway_server(settings):
        with connect(settings) as driver:  # the fixture corpus: a graph with the rule `rule show` prints
            run_load(driver, None, attack=BUNDLE, corpora={v: PIPELINE / v for v in VENDORS})
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "NEO4J_URI": settings.neo4j_uri,
               "NEO4J_PASSWORD": settings.neo4j_password, "DETGRAPH_STATE_DIR": str(settings.state_dir),
               "DETGRAPH_CONFIG": str(REPO_ROOT / ".detgraph" / "no-such-detgraph.toml")}
        cli = [sys.executable, "-m", "api.cli"]
        cases = [("python -c pass (floor)", [sys.executable, "-c", "pass"]), ("detgraph --help", [*cli, "--help"]),
                 ("detgraph rule show", [*cli, "rule", "show", RULE])]
        query = query_args()
        cases.append(("detgraph query", [*cli, *query]) if query else ("detgraph query", []))
        print(f"{'command':<26}{'min s':>8}{'median s':>10}{'max s':>8}   ({runs} runs each, after 1 warm-up)")
        for label, command in cases:
            if not command:
                print(f"{label:<26}{'-':>8}{'-':>10}{'-':>8}   (no `query` command in this checkout)")
                continue
            times = timed(command, env, runs)
            print(f"{label:<26}{min(times):>8.3f}{statistics.median(times):>10.3f}{max(times):>8.3f}")


if __name__ == "__main__":
    main(sys.argv)
