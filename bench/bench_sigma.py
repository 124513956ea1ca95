"""Benchmark the Sigma loader: YAML-only floor vs full parse+extract over the corpus.

Usage: python bench/bench_sigma.py [CORPUS_ROOT]   (default ../shared/corpora relative to the repo root)
"""
from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from loader.sigma import SigmaLoader  # noqa: E402

T = TypeVar("T")


def floor(files: list[Path]) -> None:
    """Read and YAML-parse every file (CSafeLoader), no interpretation."""
    for path in files:
        list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))


def timed(step: Callable[[], T]) -> tuple[T, float, float]:
    """`step()`, its wall-clock and its CPU seconds (CPU time is less disturbed by other workers)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _shape(reason: str) -> str:
    """A reason with its quoted specifics elided, so that alike reasons count together."""
    return re.sub(r"'[^']*'", "'…'", reason)


def main() -> None:
    """Print the floor, the full time, their ratio and the counts."""
    corpora = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT.parent / "shared" / "corpora"
    loader = SigmaLoader(corpora / "sigma")
    files = loader.files()
    _, floor_s, floor_cpu = timed(lambda: floor(files))
    parsed, full_s, full_cpu = timed(lambda: [loader.parse_file(path) for path in files])
    rules = [rule for p in parsed for rule in p.rules]
    failures = [failure for p in parsed for failure in p.failures]
    partial = [rule for rule in rules if rule.partial]
    print(f"floor (read + YAML)     {floor_s:6.2f} s wall  {floor_cpu:6.2f} s cpu")
    print(f"full (parse + extract)  {full_s:6.2f} s wall  {full_cpu:6.2f} s cpu")
    print(f"ratio                   {full_s / floor_s:6.2f}   wall  {full_cpu / floor_cpu:6.2f}   cpu")
    print(f"files {len(files)}  rules {len(rules)}  predicates {sum(len(r.predicates) for r in rules)}  "
          f"exclusions {sum(p.exclusion for r in rules for p in r.predicates)}  "
          f"partial {len(partial)}  failures {len(failures)}")
    reasons = Counter(_shape(issue) for rule in partial for issue in rule.issues)
    reasons.update(_shape(failure.reason) for failure in failures)
    for reason, count in reasons.most_common(5):
        print(f"  {count:5d}  {reason}")


if __name__ == "__main__":
    main()
