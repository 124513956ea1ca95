"""Where a Sigma modifier becomes an operator: the `MODIFIERS` registry.

A detection key is `field|mod1|mod2...`. Each modifier either decides the predicate's `Operator`
or only transforms/annotates the value (then it maps to `None`: the value is kept as written and
the modifier is recorded in `Predicate.modifiers`). Without an operator modifier the value decides:
`eq`, or `wildcard` when it holds an unescaped `*`/`?`.
"""
from __future__ import annotations

from collections.abc import Sequence

from loader.model import Operator

__all__ = ["MODIFIERS", "NEGATING", "LIST_AND", "resolve_modifiers"]

MODIFIERS: dict[str, Operator | None] = {
    # comparison: the modifier decides the operator
    "contains": Operator.CONTAINS,
    "startswith": Operator.STARTSWITH,
    "endswith": Operator.ENDSWITH,
    "re": Operator.REGEX_MATCH,
    "cidr": Operator.CIDR,
    "gt": Operator.GT,
    "gte": Operator.GTE,
    "lt": Operator.LT,
    "lte": Operator.LTE,
    "exists": Operator.EXISTS,
    "fieldref": Operator.FIELDREF,
    # value linking / negation (see LIST_AND, NEGATING)
    "all": None,
    "neq": None,
    # value encodings: the plain value is kept, the encoding recorded
    "base64": None,
    "base64offset": None,
    "utf16": None,
    "utf16le": None,
    "utf16be": None,
    "wide": None,
    "windash": None,
    # matching flags
    "cased": None,
    "expand": None,  # `%placeholder%` values, kept as written
    "i": None,  # regex flags (re|i, re|m, re|s) and their long names
    "ignorecase": None,
    "m": None,
    "multiline": None,
    "s": None,
    "dotall": None,
    # timestamp parts compared with `eq` (Date|hour: 3)
    "minute": None,
    "hour": None,
    "day": None,
    "week": None,
    "month": None,
    "year": None,
}
"""Every Sigma modifier detgraph knows -> the `Operator` it sets, or `None` when it is only recorded."""

NEGATING = frozenset({"neq"})
"""Modifiers that negate the whole detection item (`field|neq: x` is `not field = x`)."""

LIST_AND = frozenset({"all"})
"""Modifiers that AND the item's values instead of OR-ing them."""


def resolve_modifiers(modifiers: Sequence[str]) -> tuple[Operator | None, list[str]]:
    """The operator a modifier chain sets (its last operator modifier; None: the value decides), unknown names."""
    operator: Operator | None = None
    unknown: list[str] = []
    for name in modifiers:
        if name not in MODIFIERS:
            unknown.append(name)
        elif MODIFIERS[name] is not None:
            operator = MODIFIERS[name]
    return operator, unknown
