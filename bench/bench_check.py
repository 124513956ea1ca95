"""Benchmark `detgraph check` of one draft on the full graph, end to end: `python bench/bench_check.py [CORPUS_ROOT]
[--runs N] [--draft FILE]`.

The target (issue 12): one draft answered in < 1 s end to end, process start included. In one run:
  graph      a throw-away Neo4j (ports 7689/7476, or $DETGRAPH_BENCH_BOLT_PORT / _HTTP_PORT; state kept in
             .detgraph/bench-full-neo4j, shared with the other full-graph benches) holding ATT&CK 18.1 and the
             three full corpora of CORPUS_ROOT (default ../shared/corpora); the first run loads them, later runs
             find them unchanged;
  floor      `python -c pass`;
  imports    a process importing what `detgraph check` imports (the CLI, the driver, the review package,
             the Sigma loader) and nothing else: process start + imports;
  check      `detgraph check DRAFT` and `detgraph check DRAFT --format sarif` as a user runs them (subprocesses);
  in-process the phases inside one warm process — connect, the load's normalization (Meta), the normalizer,
             the parse, then each saved query alone — and `review()` as the CLI runs it (its checks'
             questions at once).
Prints min / median / max of N runs (default 10, after one warm-up) and the share of the end-to-end median
spent in process start + imports versus connecting, normalizing and asking the graph.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.full_graph import DEFAULT_CORPORA, full_graph_settings, load_full_graph  # noqa: E402
from graph_schema.db import connect  # noqa: E402
from graph_schema.testing import throwaway_server  # noqa: E402

DRAFT = """title: Whoami All Via Renamed Shell (bench draft)
id: 5b2d3c4e-0000-4000-8000-00000000be01
status: experimental
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\\\whoami.exe'
        CommandLine|contains: ['/all', '/priv']
    parent:
        ParentImage|endswith: ['\\\\cmd.exe', '\\\\powershell.exe']
    filter:
        ParentImage|contains: '\\\\AppData\\\\Local\\\\Temp\\\\'
    condition: selection and parent and not filter
tags: [attack.discovery, attack.t1033]
level: medium
"""
IMPORTS = ("import api.cli, api.commands.check, graph_schema.db, queries.review.report, queries.review.formats, "
           "loader.sigma.loader")


def timed(argv: list[str], env: dict[str, str], runs: int, ok: tuple[int, ...] = (0, 1)) -> list[float]:
    """Wall seconds of `runs` runs of `argv` (after one warm-up run); each must exit with a code in `ok`."""
    times = []
    for n in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode not in ok:
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
        if n:
            times.append(elapsed)
    return times


def row(label: str, times: list[float], note: str = "") -> None:
    print(f"{label:<52}{min(times):>8.3f}{statistics.median(times):>10.3f}{max(times):>8.3f}   {note}")


def in_process(driver: object, text: str, runs: int) -> dict[str, list[float]]:
    """Seconds of each phase of a review inside one process (warm: imports done, driver connected)."""
    from loader.normalize import Normalizer
    from queries.review import corpus as corpus_module
    from queries.review.draft import parse_draft, read_draft
    from queries.review.report import review

    phases: dict[str, list[float]] = {}

    def clock(name: str, start: float) -> None:
        phases.setdefault(name, []).append(time.perf_counter() - start)

    original = corpus_module.CorpusView._rows

    def rows(self: corpus_module.CorpusView, name: str, **params: object) -> list[dict[str, object]]:
        start = time.perf_counter()
        try:
            return original(self, name, **params)
        finally:
            clock(f"  query {name}", start)

    for n in range(runs + 1):
        if n == 1:
            phases.clear()  # the first run warms the server's plan cache and the page cache
        start = time.perf_counter()
        view = corpus_module.CorpusView(driver)  # type: ignore[arg-type]
        load = view.normalization()
        clock("  query normalization (Meta)", start)
        start = time.perf_counter()
        normalizer = Normalizer.load(Path(load.ecs_path or ""))
        clock("  normalizer (ECS, field maps, events, robustness)", start)
        start = time.perf_counter()
        draft = read_draft(text, "draft.yml")
        (rule,) = parse_draft(draft)
        clock("  read + parse the draft", start)
        from queries.review.checks import CHECKS, DraftRule

        corpus_module.CorpusView._rows = rows  # type: ignore[method-assign]
        try:
            subject = DraftRule.of(rule, text, normalizer, view)
            for check in CHECKS.values():  # one after the other: each question's own time
                check(subject, view)
        finally:
            corpus_module.CorpusView._rows = original  # type: ignore[method-assign]
        start = time.perf_counter()
        review([draft], driver)  # type: ignore[arg-type]
        clock("review() as the CLI runs it (questions at once)", start)
    return phases


def main(argv: list[str]) -> None:
    """Load (or find) the full graph, time the check and print the table."""
    args = [a for a in argv[1:]]
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 10
    draft_path = Path(args[args.index("--draft") + 1]) if "--draft" in args else None
    positional = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] not in
                                                                              ("--runs", "--draft"))]
    corpora = Path(positional[0]) if positional else DEFAULT_CORPORA
    text = draft_path.read_text(encoding="utf-8") if draft_path else DRAFT
    settings = full_graph_settings()
    with throwaway_server(settings), connect(settings) as driver:
        load_full_graph(driver, corpora)
        with tempfile.TemporaryDirectory(prefix="bench-check-") as folder:
            draft = Path(folder) / "draft.yml"
            draft.write_text(text, encoding="utf-8")
            env = {**{k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "DETGRAPH_"))},
                   "PYTHONPATH": str(REPO_ROOT), "NEO4J_URI": settings.neo4j_uri,
                   "NEO4J_PASSWORD": settings.neo4j_password, "DETGRAPH_STATE_DIR": str(Path(folder) / "state"),
                   "DETGRAPH_CONFIG": str(Path(folder) / "no-such-detgraph.toml")}
            cli = [sys.executable, "-m", "api.cli", "check", str(draft)]
            print(f"\n{'end to end (subprocesses)':<52}{'min s':>8}{'median s':>10}{'max s':>8}   "
                  f"({runs} runs each, after 1 warm-up)")
            floor = timed([sys.executable, "-c", "pass"], env, runs, (0,))
            row("python -c pass (floor)", floor)
            imports = timed([sys.executable, "-c", IMPORTS], env, runs, (0,))
            row("process start + the imports of check", imports)
            check = timed(cli, env, runs)
            row("detgraph check draft.yml", check, "target < 1 s")
            row("detgraph check draft.yml --format sarif", timed([*cli, "--format", "sarif"], env, runs))
        print(f"\n{'in one warm process':<52}{'min s':>8}{'median s':>10}{'max s':>8}")
        for label, times in in_process(driver, text, runs).items():
            row(label, times)
    total, startup = statistics.median(check), statistics.median(imports)
    print(f"\ncheck median {total:.3f} s: process start + imports {startup:.3f} s ({startup / total:.0%}), "
          f"connect + normalize + parse + queries + output {total - startup:.3f} s ({(total - startup) / total:.0%})"
          f" -> {'within' if total < 1 else 'OVER'} the 1 s target")


if __name__ == "__main__":
    main(sys.argv)
