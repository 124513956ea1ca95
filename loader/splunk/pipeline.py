"""A light SPL tokenizer: split a search into pipeline stages on `|` outside quotes and `[subsearches]`."""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Stage", "GENERATING", "split_pipeline", "subsearches"]

# Commands that may open a (sub)search without a leading pipe; anything else there is an implicit `search`.
GENERATING = frozenset(
    {"search", "tstats", "mstats", "inputlookup", "from", "makeresults", "rest", "datamodel", "summary"}
)

_PIECE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]|"]|[^"\[\]|]+')
_COMMAND = re.compile(r"\s*([A-Za-z_]\w*)")


@dataclass(frozen=True, slots=True)
class Stage:
    """One pipeline stage: `command` (lower case) and its `args`, which start at `offset` in the split text."""

    command: str
    args: str
    offset: int
    index: int  # 1-based position among the pipeline's non-empty stages


def _top_level(text: str, char: str) -> list[int]:
    """Offsets of `char` (`|` or `[`/`]`) outside quotes, with bracket depth tracked for `|`."""
    found: list[int] = []
    depth = 0
    for m in _PIECE.finditer(text):
        piece = m.group()
        if piece == "[":
            if depth == 0 and char == "[":
                found.append(m.start())
            depth += 1
        elif piece == "]":
            depth = max(depth - 1, 0)
            if depth == 0 and char == "]":
                found.append(m.start())
        elif piece == "|" and depth == 0 and char == "|":
            found.append(m.start())
    return found


def split_pipeline(text: str, base: int = 0) -> list[Stage]:
    """The stages of `text`; offsets are `base` + position in `text`. The first bare stage is a `search`."""
    cuts = [-1, *_top_level(text, "|"), len(text)]
    stages: list[Stage] = []
    for n, (start, end) in enumerate(zip(cuts, cuts[1:], strict=False)):
        segment = text[start + 1 : end]
        if not segment.strip():
            continue
        m = _COMMAND.match(segment)
        if m and (n > 0 or m.group(1).lower() in GENERATING):
            command, args_at = m.group(1).lower(), m.end()
        else:
            command, args_at = "search", 0
        stages.append(Stage(command, segment[args_at:], base + start + 1 + args_at, len(stages) + 1))
    return stages


def subsearches(text: str) -> list[tuple[int, int]]:
    """`(start, end)` of the inside of every top-level `[...]` in `text`."""
    opens = _top_level(text, "[")
    closes = _top_level(text, "]")
    return [(o + 1, c) for o, c in zip(opens, closes, strict=False)]
