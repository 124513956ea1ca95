"""Benchmark every saved query of the catalog on the full graph: `python bench/bench_queries.py [CORPUS_ROOT]
[--runs N] [--json] [--only NAME[,NAME...]]`.

The target (issue 10): every query of `queries/*.cypher` answers in < 200 ms (median, warm server) for its
example parameters, and `technique_guide` so for the largest technique (T1059.001, an extra row). In one run:
  graph   a throw-away Neo4j (ports 7689/7476, or $DETGRAPH_BENCH_BOLT_PORT / _HTTP_PORT; state kept in
          .detgraph/bench-full-neo4j, shared with the other full-graph benches) holding ATT&CK 18.1 and the
          three full corpora of CORPUS_ROOT (default ../shared/corpora); the first run loads them, later runs
          find them unchanged;
  timing  each query as `queries.catalog.run` runs it (one read transaction through the driver, rows fetched):
          one warm-up run, then N runs (default 10): median and p95 wall seconds;
  db hits the total db hits of the plan of one PROFILE run, and the number of rows returned.
Prints a table sorted by median and a summary line (how many queries are under 200 ms; the slowest), or with
`--json` one JSON document with the same numbers.
"""
from __future__ import annotations

import json
import math
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.full_graph import DEFAULT_CORPORA, full_graph_settings, load_full_graph  # noqa: E402
from graph_schema.db import connect  # noqa: E402
from graph_schema.testing import throwaway_server  # noqa: E402
from queries.catalog import NamedQuery, load_catalog, run  # noqa: E402

TARGET_S = 0.2
EXTRA = (("technique_guide", {"technique": "T1059.001"}),)
"""Rows beyond each query's example: (query, parameters over its examples)."""


@dataclass
class Timing:
    """One query's numbers."""

    label: str
    query: str
    params: dict[str, Any]
    median_s: float
    p95_s: float
    min_s: float
    max_s: float
    db_hits: int | None
    rows: int


def p95(times: list[float]) -> float:
    """The 95th percentile (nearest rank) of `times`."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def bench(driver: object, query: NamedQuery, params: dict[str, Any], runs: int, label: str) -> Timing:
    """Warm `query` up once, time it `runs` times, then PROFILE it once for its db hits."""
    values = query.bind(params)
    run(driver, query, values, bound=True)  # type: ignore[arg-type]
    times = [run(driver, query, values, bound=True).seconds for _ in range(runs)]  # type: ignore[arg-type]
    profiled = run(driver, query, values, bound=True, profile=True)  # type: ignore[arg-type]
    return Timing(label, query.name, params, statistics.median(times), p95(times), min(times), max(times),
                  profiled.db_hits, len(profiled.rows))


def cases(only: set[str] | None) -> list[tuple[str, NamedQuery, dict[str, Any]]]:
    """(label, query, parameters) of every catalog query with its examples, then the extra rows."""
    catalog = load_catalog()
    out = [(name, q, q.examples()) for name, q in catalog.items()]
    for name, extra in EXTRA:
        params = {**catalog[name].examples(), **extra}
        out.append((f"{name} {' '.join(f'{k}={v}' for k, v in extra.items())}", catalog[name], params))
    return [c for c in out if only is None or c[1].name in only]


def main(argv: list[str]) -> None:
    """Load (or find) the full graph, time every query and print the table (or JSON)."""
    args = argv[1:]
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 10
    only = set(args[args.index("--only") + 1].split(",")) if "--only" in args else None
    as_json = "--json" in args
    positional = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] not in
                                                                              ("--runs", "--only"))]
    corpora = Path(positional[0]) if positional else DEFAULT_CORPORA
    settings = full_graph_settings()
    with throwaway_server(settings), connect(settings) as driver:
        if as_json:
            import contextlib
            import io

            with contextlib.redirect_stdout(io.StringIO()):
                load_full_graph(driver, corpora)
        else:
            load_full_graph(driver, corpora)
        timings = []
        for label, query, params in cases(only):
            timings.append(bench(driver, query, params, runs, label))
            if not as_json:
                print(f"  {label}: {timings[-1].median_s * 1000:.1f} ms", file=sys.stderr)
    timings.sort(key=lambda t: t.median_s)
    under = [t for t in timings if t.median_s < TARGET_S]
    slowest = timings[-1] if timings else None
    if as_json:
        print(json.dumps({"runs": runs, "target_s": TARGET_S, "under_target": len(under), "queries": len(timings),
                          "slowest": slowest.label if slowest else None,
                          "timings": [asdict(t) for t in timings]}, indent=2))
        return
    width = max([len(t.label) for t in timings] + [5])
    print(f"\n{'query':<{width}}{'median ms':>11}{'p95 ms':>9}{'min ms':>9}{'max ms':>9}{'db hits':>12}{'rows':>6}"
          f"   ({runs} runs each, after 1 warm-up)")
    for t in timings:
        hits = f"{t.db_hits:,}" if t.db_hits is not None else "-"
        flag = "" if t.median_s < TARGET_S else "   OVER 200 ms"
        print(f"{t.label:<{width}}{t.median_s * 1000:>11.1f}{t.p95_s * 1000:>9.1f}{t.min_s * 1000:>9.1f}"
              f"{t.max_s * 1000:>9.1f}{hits:>12}{t.rows:>6}{flag}")
    if slowest:
        print(f"\n{len(under)} of {len(timings)} queries under {TARGET_S * 1000:.0f} ms (median); slowest: "
              f"{slowest.label} {slowest.median_s * 1000:.1f} ms median, {slowest.p95_s * 1000:.1f} ms p95")


if __name__ == "__main__":
    main(sys.argv)
