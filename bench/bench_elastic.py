"""Benchmark the Elastic loader: `python bench/bench_elastic.py [CORPUS_ROOT]` (default ../shared/corpora).

Prints the floor (read every rule file with tomli, the TOML reader the loader uses; the stdlib tomllib
time too, for reference), the full parse+extract time
(`ElasticLoader.parse_file` on every file), their ratio, the KQL parser alone, and per-language counts.
"""
from __future__ import annotations

import sys
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import tomli

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from loader.elastic import ElasticLoader  # noqa: E402
from loader.elastic.kql import parse_kql  # noqa: E402
from loader.model import LoadFailure, Rule  # noqa: E402


def _floor(files: list[Path], reader: Any = tomli) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    docs = [reader.loads(f.read_text(encoding="utf-8")) for f in files]
    return time.perf_counter() - start, docs


def _full(loader: ElasticLoader, files: list[Path]) -> tuple[float, list[Rule], list[LoadFailure]]:
    rules: list[Rule] = []
    failures: list[LoadFailure] = []
    start = time.perf_counter()
    for f in files:
        parsed = loader.parse_file(f)
        rules += parsed.rules
        failures += parsed.failures
    return time.perf_counter() - start, rules, failures


def _kql_only(docs: list[dict]) -> tuple[float, int]:
    queries = [d["rule"]["query"] for d in docs if d.get("rule", {}).get("language") == "kuery"]
    queries += [d["rule"]["threat_query"] for d in docs if "threat_query" in d.get("rule", {})]
    start = time.perf_counter()
    for q in queries:
        parse_kql(q)
    return time.perf_counter() - start, len(queries)


def main() -> None:
    """Run the benchmark once and print the table."""
    corpora = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "corpora"
    loader = ElasticLoader(corpora / "elastic")
    files = loader.files()
    floor, docs = _floor(files)
    stdlib, _ = _floor(files, tomllib)
    full, rules, failures = _full(loader, files)
    kql_time, kql_count = _kql_only(docs)

    print(f"files: {len(files)}  rules: {len(rules)}  failures: {len(failures)}")
    print(f"floor (tomli read only):     {floor:6.2f} s   (stdlib tomllib: {stdlib:.2f} s)")
    print(f"full (parse + extract):      {full:6.2f} s")
    print(f"ratio full / floor:          {full / floor:6.2f}")
    print(f"KQL parser alone:            {kql_time:6.2f} s for {kql_count} queries")

    stats: Counter[tuple[str, str]] = Counter()
    reasons: Counter[str] = Counter()
    for r in rules:
        lang = r.language or r.rule_type or "?"
        stats[lang, "rules"] += 1
        stats[lang, "with predicates"] += bool(r.predicates)
        stats[lang, "partial"] += r.partial
        stats[lang, "predicates"] += len(r.predicates)
        stats[lang, "exclusions"] += sum(p.exclusion for p in r.predicates)
        reasons.update(i.split(":")[0] + ": " + i.split(":", 1)[-1].strip()[:70] for i in r.issues)
        if not r.predicates and not r.issues:
            reasons[f"(no predicates) {r.no_predicates_reason}"] += 1
    columns = ("rules", "with predicates", "partial", "predicates", "exclusions")
    print(f"\n{'language':<18}" + "".join(f"{c:>17}" for c in columns))
    for lang in sorted({k[0] for k in stats}):
        print(f"{lang:<18}" + "".join(f"{stats[lang, c]:>17}" for c in columns))
    with_query = [r for r in rules if r.query]
    yielding = sum(bool(r.predicates) for r in with_query)
    print(f"\nrules with a query yielding predicates: {yielding}/{len(with_query)}")
    print("top reasons (partial issues / no predicates):")
    for reason, n in reasons.most_common(10):
        print(f"  {n:5}  {reason}")
    for f in failures[:10]:
        print(f"  failure: {f.path}: {f.reason}")


if __name__ == "__main__":
    main()
