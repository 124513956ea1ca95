"""Benchmark the ATT&CK reader: `python bench/bench_attack.py [CORPUS_ROOT]` (default ../shared/corpora).

Floor: gunzip + `json.loads` of the bundle, no interpretation, timed as is and with the cyclic GC paused
(as `read_attack` runs). Full: `read_attack` (read + catalog). Each is timed REPEAT times in a row; the best
and the median run are reported (the machine is shared: the best is the signal).
"""
from __future__ import annotations

import gc
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from loader.attack import read_attack

REPO_ROOT = Path(__file__).resolve().parents[1]
REPEAT = 3


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """Best and median wall time of REPEAT calls of `fn`, and its last result."""
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def load_without_gc(bundle: Path) -> object:
    """The floor with the cyclic GC paused, as `read_attack` reads."""
    gc.disable()
    try:
        return json.loads(gzip.decompress(bundle.read_bytes()))
    finally:
        gc.enable()


def main(argv: list[str]) -> None:
    """Time the floor and the full read of the corpus bundle; print times, ratio and counts."""
    root = Path(argv[1]) if len(argv) > 1 else REPO_ROOT.parent / "shared" / "corpora"
    bundle = root / "attack" / "enterprise-attack.json.gz"
    floor, floor_med, data = timed(lambda: json.loads(gzip.decompress(bundle.read_bytes())))
    bare, bare_med, _ = timed(lambda: load_without_gc(bundle))
    full, full_med, catalog = timed(lambda: read_attack(bundle))
    print(f"bundle     {bundle} ({len(data['objects']):,} objects)")
    print(f"floor      {floor:.3f} s best, {floor_med:.3f} s median (gunzip + json.loads)")
    print(f"floor-gc   {bare:.3f} s best, {bare_med:.3f} s median (the same, cyclic GC paused)")
    print(f"full       {full:.3f} s best, {full_med:.3f} s median (read_attack, GC paused)")
    print(f"ratio      {full / floor:.2f}x the floor, {full / bare:.2f}x the GC-paused floor")
    print(f"version    {catalog.version}")
    print(
        f"counts     tactics {len(catalog.tactics)} · techniques {len(catalog.techniques)} active"
        f" + {len(catalog.retired)} retired ({len(catalog.revoked)} revoked-by, {len(catalog.deprecated)} deprecated)"
        f" · strategies {len(catalog.strategies)} · analytics {len(catalog.analytics)}"
        f" · data components {len(catalog.data_components)} · log sources {len(catalog.log_sources)}"
        f" · issues {len(catalog.issues)}"
    )


if __name__ == "__main__":
    main(sys.argv)
