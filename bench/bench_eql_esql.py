"""Benchmark the EQL and ES|QL parsers: `python bench/bench_eql_esql.py [CORPUS_ROOT] [--baseline]`.

Prints, in one run: the floor (read every Elastic TOML rule with tomli and pick out the EQL/ES|QL
queries), the parse+extract time of `parse_eql` / `parse_esql` with the disk cache off (cold) and
on (warm, a fresh temporary cache filled first), the full/floor ratios, and counts: rules, rules with
predicates, rules with issues, syntax errors, predicates, exclusions. `--baseline` also times the
`eql` package's own `parse_query` on the EQL rules, the "before" this parser replaced.
Each timing is the best of `REPEAT` runs (the machine is shared: numbers are noisy).
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import tomli

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graph_schema.errors import QuerySyntaxError  # noqa: E402
from loader.elastic.eql_query import parse_eql  # noqa: E402
from loader.elastic.esql import parse_esql  # noqa: E402
from loader.model import QueryResult  # noqa: E402

REPEAT = 2
PARSERS: dict[str, Callable[[str], QueryResult]] = {"eql": parse_eql, "esql": parse_esql}


def _best(run: Callable[[], object]) -> tuple[float, object]:
    times, value = [], None
    for _ in range(REPEAT):
        start = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - start)
    return min(times), value


def _read(corpora: Path) -> dict[str, list[str]]:
    queries: dict[str, list[str]] = {language: [] for language in PARSERS}
    for folder in ("rules", "rules_building_block"):
        for path in sorted((corpora / "elastic" / folder).rglob("*.toml")):
            rule = tomli.loads(path.read_text(encoding="utf-8")).get("rule", {})
            if rule.get("language") in queries:
                queries[rule["language"]].append(rule.get("query", ""))
    return queries


def _parse_all(parse: Callable[[str], QueryResult], queries: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for query in queries:
        counts["rules"] += 1
        try:
            result = parse(query)
        except QuerySyntaxError:
            counts["syntax errors"] += 1
            continue
        counts["with predicates"] += bool(result.predicates)
        counts["with issues"] += bool(result.issues)
        counts["predicates"] += len(result.predicates)
        counts["exclusions"] += sum(p.exclusion for p in result.predicates)
    return counts


def _eql_package_baseline(queries: list[str]) -> float:
    import eql

    cfg = eql.parser
    configs = (cfg.elasticsearch_syntax, cfg.ignore_missing_functions, cfg.allow_sample, cfg.allow_runs)
    configs += (cfg.allow_negation, cfg.skip_optimizations, cfg.nullable_fields)
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        for config in configs:
            stack.enter_context(config)
        for query in queries:
            eql.parse_query(query)
    return time.perf_counter() - start


def _time_parsers(queries: dict[str, list[str]]) -> dict[str, tuple[float, Counter[str]]]:
    return {lang: _best(lambda p=parse, q=queries[lang]: _parse_all(p, q)) for lang, parse in PARSERS.items()}


def main() -> None:
    """Run the benchmark once and print the table."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    corpora = Path(args[0]) if args else REPO.parent / "shared" / "corpora"
    floor, queries = _best(lambda: _read(corpora))
    os.environ["DETGRAPH_CACHE_DIR"] = ""
    cold = _time_parsers(queries)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["DETGRAPH_CACHE_DIR"] = cache
        filled = {language: _parse_all(parse, queries[language]) for language, parse in PARSERS.items()}
        warm = _time_parsers(queries)
    assert all(filled[lang] == cold[lang][1] == warm[lang][1] for lang in PARSERS), "cache changed the results"

    print(f"corpus: {corpora / 'elastic'}   best of {REPEAT} runs")
    print(f"floor (tomllib read of all rule files + pick queries): {floor:6.2f} s")
    for language, (cold_time, counts) in cold.items():
        print(f"\n{language}: " + ", ".join(f"{key} {value}" for key, value in counts.items()))
        print(f"  parse+extract, cache off:  {cold_time:6.2f} s")
        print(f"  parse+extract, cache warm: {warm[language][0]:6.2f} s")
    print()
    for label, timings in (("off", cold), ("warm", warm)):
        full = floor + sum(t for t, _ in timings.values())
        print(f"full (floor + both parsers), cache {label:4}: {full:6.2f} s   ratio full/floor {full / floor:5.2f}")
    if "--baseline" in sys.argv:
        baseline = _eql_package_baseline(queries["eql"])
        print(f"\nbaseline: eql.parse_query on {len(queries['eql'])} EQL rules: {baseline:6.2f} s")


if __name__ == "__main__":
    main()
