"""Near-duplicate rules by Jaccard similarity of canonical indicator sets (loader/similarity.py)."""
from __future__ import annotations

from loader.similarity import similar_pairs


def test_similar_pairs_jaccard_threshold_and_neighbours() -> None:
    sets = {"a": {"1", "2", "3", "4"}, "b": {"1", "2", "3"}, "c": {"9"}, "d": {"1", "9"}}
    pairs = {(p["a"], p["b"]): (p["jaccard"], p["shared"]) for p in similar_pairs(sets, min_jaccard=0.3)}
    assert pairs == {("a", "b"): (0.75, 3), ("c", "d"): (0.5, 1)}  # a-d is 0.2: below the threshold
    top1 = similar_pairs({"a": {"1", "2"}, "b": {"1", "2"}, "c": {"1"}}, min_jaccard=0.1, neighbours=1)
    assert {(p["a"], p["b"]) for p in top1} == {("a", "b"), ("b", "c")}  # c's best: a or b (0.5), the later wins


def test_similar_pairs_empty_and_disjoint() -> None:
    assert similar_pairs({}) == [] and similar_pairs({"a": {"1"}, "b": {"2"}}) == []
