"""Where a Sigma modifier becomes an operator: the `MODIFIERS` registry.

A detection key is `field|mod1|mod2...`. Each modifier either decides the predicate's `Operator`
or only transforms/annotates the value (then it maps to `None`: the value is kept as written and
the modifier is recorded in `Predicate.modifiers`). Without an operator modifier the value decides:
`eq`, or `wildcard` when it holds an unescaped `*`/`?`.

A chain reads as pySigma applies it: the string anchors (`contains`, `startswith`, `endswith`) add up
(`startswith|endswith` is `*x*`, i.e. contains); `fieldref` stays a field reference and the anchors
after it become its `relation`; `re` stays a regex. Chains pySigma rejects (`re` or `cidr` after
another modifier, an anchor before `fieldref`, two different comparisons) are kept as well as they
can be and listed in `ModifierChain.problems`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loader.model import Operator

__all__ = ["MODIFIERS", "NEGATING", "LIST_AND", "ANCHORS", "ModifierChain", "resolve_modifiers"]

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

ANCHORS = frozenset({Operator.CONTAINS, Operator.STARTSWITH, Operator.ENDSWITH})
"""Operators of the string-anchor modifiers, which combine with each other and qualify `fieldref`."""

_FIRST_ONLY = frozenset({"re", "cidr"})  # pySigma: "only applicable to unmodified values"
_SIDES = {Operator.CONTAINS: (True, True), Operator.STARTSWITH: (False, True), Operator.ENDSWITH: (True, False)}


@dataclass(frozen=True, slots=True)
class ModifierChain:
    """What a modifier chain means: its operator (None: the value decides), a field reference's relation."""

    operator: Operator | None
    relation: Operator | None = None  # FIELDREF only: how the field compares with the referenced field
    unknown: tuple[str, ...] = ()  # names no Sigma modifier has
    problems: tuple[str, ...] = ()  # combinations the Sigma spec rejects (the chain is still read)


def _anchor(operators: Sequence[Operator]) -> Operator | None:
    """The operator of several string anchors together: `*x*` as soon as both ends are open."""
    head = any(_SIDES[o][0] for o in operators)
    tail = any(_SIDES[o][1] for o in operators)
    if head and tail:
        return Operator.CONTAINS
    return Operator.ENDSWITH if head else Operator.STARTSWITH if tail else None


def resolve_modifiers(modifiers: Sequence[str]) -> ModifierChain:
    """Read a modifier chain (see the module doc); unknown names and rejected combinations are reported."""
    unknown = tuple(name for name in modifiers if name not in MODIFIERS)
    known = [name for name in modifiers if name in MODIFIERS]
    problems: list[str] = []
    for position, name in enumerate(known):
        if name in _FIRST_ONLY and position:
            problems.append(f"modifier '{name}' must come first, not after '{'|'.join(known[:position])}'")
    operators = [(name, op) for name in known if (op := MODIFIERS[name]) is not None]
    anchors = [op for _, op in operators if op in ANCHORS]
    comparisons = list(dict.fromkeys(name for name, op in operators if op not in ANCHORS))
    if len(comparisons) > 1:
        problems.append(f"modifiers {' and '.join(repr(n) for n in comparisons)} conflict (the last one is used)")
    anchor = _anchor(anchors)
    if not comparisons:
        return ModifierChain(anchor, None, unknown, tuple(problems))
    operator = MODIFIERS[comparisons[-1]]
    if operator is Operator.FIELDREF:
        before = [n for n in known[: known.index("fieldref")] if MODIFIERS[n] in ANCHORS]
        if before:
            problems.append(f"modifier '{before[0]}' must come after 'fieldref' (read as the reference's relation)")
        return ModifierChain(operator, anchor, unknown, tuple(problems))
    if anchor is not None and operator is not Operator.REGEX_MATCH:
        problems.append(f"modifier '{comparisons[-1]}' does not combine with string anchors (ignored)")
    return ModifierChain(operator, None, unknown, tuple(problems))
