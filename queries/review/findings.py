"""What `detgraph check` reports: findings of a kind, a severity, a one-line reason and the evidence."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SEVERITIES", "KINDS", "Finding", "at_least", "locate"]

SEVERITIES = ("info", "warning", "error")
"""Lowest first: `--fail-on warning` fails on a warning or an error."""

KINDS: dict[str, str] = {
    "parse": "What the draft parses into: predicates, exclusions, events, techniques.",
    "partial-parse": "Part of the draft could not be parsed (the load would mark the rule partial).",
    "no-predicates": "The draft has no detection logic detgraph can read.",
    "normalization": "The graph was loaded with another normalization than this checkout's.",
    "noisy-selection": "An indicator that many rules across many techniques select on stands alone in a selection.",
    "missing-exclusion": "An exclusion the draft's peers use and the draft lacks.",
    "near-duplicate": "An existing rule (any vendor) with nearly the same canonical indicators.",
    "loaded-version": "A loaded rule with the draft's own id: the draft is a new version of it (not a duplicate).",
    "field-not-emitted": "A field the draft filters on that its event does not carry.",
    "field-unused": "A field no rule on the draft's event (or no rule of its vendor) uses: a misspelling?",
    "missing-technique": "A technique the draft's peers carry and the draft does not.",
    "robustness": "How easily an attacker steps around the draft (Summiting the Pyramid level).",
    "bypassable-exclusion": "An exclusion an attacker satisfies cheaply.",
}
"""Finding kind -> what it means (the SARIF rule of each kind)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding about a draft."""

    kind: str
    severity: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    line: int | None = None  # 1-based line of the draft the finding is about, when known

    def __post_init__(self) -> None:
        assert self.kind in KINDS and self.severity in SEVERITIES, (self.kind, self.severity)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "severity": self.severity, "reason": self.reason, "line": self.line,
                "evidence": self.evidence}


def at_least(severity: str, threshold: str) -> bool:
    """True when `severity` is `threshold` or worse."""
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)


def locate(text: str, *needles: str | None) -> int | None:
    """The first line (1-based) holding every given needle (case-insensitively), else the first holding the
    first needle; None when neither is found."""
    wanted = [n.lower() for n in needles if n]
    if not wanted:
        return None
    lines = text.lower().splitlines()
    for group in (wanted, wanted[:1]):
        for number, line in enumerate(lines, 1):
            if all(n in line for n in group):
                return number
    return None
