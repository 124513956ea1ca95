"""Benchmark the Splunk loader: `python bench/bench_splunk.py [CORPUS_ROOT]`.

Prints the floor (reading every detection YAML with CSafeLoader, nothing else), the full load (macros,
data sources, YAML, SPL parsing and predicate extraction), their ratio, and what the load found. Times are
the best of `RUNS` runs each (the machine is shared: single runs are noisy); every run is listed.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from loader.splunk import SplunkLoader  # noqa: E402

RUNS = 3


def floor(files: list[Path]) -> float:
    """Seconds to read and YAML-parse every file, with no interpretation."""
    start = time.perf_counter()
    for path in files:
        with path.open("rb") as fh:
            yaml.load(fh, Loader=yaml.CSafeLoader)
    return time.perf_counter() - start


def full(root: Path) -> tuple[float, SplunkLoader, list, list]:
    """Seconds for a fresh loader to load everything, with its rules and failures."""
    start = time.perf_counter()
    loader = SplunkLoader(root)
    loader.data_sources()
    rules, failures = [], []
    for path in loader.files():
        parsed = loader.parse_file(path)
        rules += parsed.rules
        failures += parsed.failures
    return time.perf_counter() - start, loader, rules, failures


def main() -> None:
    corpora = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "corpora"
    root = corpora / "splunk"
    files = SplunkLoader(root).files()
    floors, fulls = [], []
    for _ in range(RUNS):
        floors.append(floor(files))
        full_s, loader, rules, failures = full(root)
        fulls.append(full_s)
    floor_s, full_s = min(floors), min(fulls)
    predicates = [p for r in rules for p in r.predicates]
    searched = [r for r in rules if r.query and r.query.strip()]
    print(f"corpus            {root}")
    print(f"floor (YAML read) {floor_s:6.2f} s   runs: {' '.join(f'{t:.2f}' for t in floors)}")
    print(f"full parse        {full_s:6.2f} s   runs: {' '.join(f'{t:.2f}' for t in fulls)}")
    print(f"ratio             {full_s / floor_s:6.2f} x")
    print(f"detections        {len(files)}  (rules {len(rules)}, failed {len(failures)})")
    print(f"with a search     {len(searched)}")
    print(f"with predicates   {sum(bool(r.predicates) for r in rules)}")
    print(f"partial           {sum(r.partial for r in rules)}")
    print(f"deprecated        {sum(r.deprecated for r in rules)}")
    print(f"with events       {sum(bool(r.events) for r in rules)}")
    print(f"data sources      {len(loader.data_sources())} ({sum(d.event is not None for d in loader.data_sources())}"
          " name one event)")
    print(f"macros            {len(loader.macros.macros)}")
    print(f"predicates        {len(predicates)}")
    print(f"  exclusions      {sum(p.exclusion for p in predicates)}")
    print(f"  from macros     {sum(p.macro is not None for p in predicates)}")
    print(f"  by scope        {dict(Counter(str(p.scope) for p in predicates).most_common())}")
    reasons = Counter(issue.split(":")[0] if "macro" not in issue else issue for r in rules for issue in r.issues)
    for reason, count in reasons.most_common(8):
        print(f"  partial: {count:4d} {reason}")
    for failure in failures[:8]:
        print(f"  failed: {failure.path}: {failure.reason}")
    for rule in rules:
        if rule.query and not rule.predicates:
            print(f"  no predicates: {rule.path}: {rule.no_predicates_reason}")


if __name__ == "__main__":
    main()
