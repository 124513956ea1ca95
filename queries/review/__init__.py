"""Reviewing a draft rule against the whole corpus (`detgraph check`, `POST /api/v1/rules/check`).

- `draft.py`: `read_draft` decides a draft's format (bad input: `BadDraft`, exit 2), `parse_draft` parses it
  with its vendor's loader exactly as a load does;
- `report.py`: `review` normalizes it as the load did (`Meta {key: 'normalization'}`), runs every check and
  returns a `Review` whose `to_json()` / `to_dict()` is the JSON of both the CLI and the API;
  `review_text(text, filename, language, driver=...)` is the one call a web endpoint needs (also importable
  as `queries.review.review_text`);
- `checks.py`: the checks and their thresholds; `corpus.py`: the graph questions (saved queries only,
  nothing is written); `findings.py`: finding kinds and severities; `formats.py`: table, Markdown, SARIF.

Nothing is imported here until asked for, so that `detgraph --help` stays free of the driver and the parsers.
"""
from __future__ import annotations

from typing import Any

__all__ = ["review_text", "Review"]


def __getattr__(name: str) -> Any:
    """`review_text` and `Review` of `report.py`, imported on first use."""
    if name in __all__:
        from queries.review import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
