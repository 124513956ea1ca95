"""Near-duplicate rules: Jaccard similarity of rules' canonical selection-indicator sets, any vendor.

`similar_pairs` counts shared indicators through an inverted index (one pass over each indicator's
rules), so the whole catalog takes a fraction of a second; the pipeline stores each rule's closest
neighbours as `SIMILAR_TO` relationships for the catalog-wide duplicate questions.
"""
from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Mapping

__all__ = ["MIN_JACCARD", "NEIGHBOURS", "similar_pairs"]

MIN_JACCARD = 0.3
NEIGHBOURS = 10


def similar_pairs(sets: Mapping[str, set[str]], *, min_jaccard: float = MIN_JACCARD,
                  neighbours: int = NEIGHBOURS) -> list[dict[str, object]]:
    """`{a, b, jaccard, shared}` for each rule's `neighbours` most similar rules at `min_jaccard` or more
    (each unordered pair once, `a < b`)."""
    names = sorted(sets)
    members = [sets[name] for name in names]
    postings: dict[str, list[int]] = defaultdict(list)
    for n, keys in enumerate(members):
        for key in keys:
            postings[key].append(n)
    pairs: dict[tuple[int, int], tuple[float, int]] = {}
    for a, keys in enumerate(members):
        shared: Counter[int] = Counter()
        for key in keys:
            shared.update(postings[key])
        del shared[a]
        scored = ((inter / (len(keys) + len(members[b]) - inter), inter, b) for b, inter in shared.items())
        for jaccard, inter, b in heapq.nlargest(neighbours, (s for s in scored if s[0] >= min_jaccard)):
            pairs[(min(a, b), max(a, b))] = (jaccard, inter)
    return [{"a": names[a], "b": names[b], "jaccard": round(j, 4), "shared": inter}
            for (a, b), (j, inter) in sorted(pairs.items())]
