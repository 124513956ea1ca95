"""Boolean trees of predicates, shared by every query parser.

Parsers build an `Expr` (`And`/`Or`/`Not`/`Leaf`) and call `flatten`, which is the single place that
decides `negated` (parity of enclosing `not`s) and `exclusion` (a `not` — or a negated leaf such as
`field != x`, but not a presence test such as `field != null` — at the top level of the rule's
conjunction, e.g. `selection and not 1 of filter_*`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from loader.model import Operator, Predicate

__all__ = ["And", "Or", "Not", "Leaf", "Expr", "flatten", "conjuncts"]

PRESENCE = frozenset({Operator.EXISTS, Operator.IS_NULL})


@dataclass(frozen=True, slots=True)
class Leaf:
    """One predicate."""

    predicate: Predicate


@dataclass(frozen=True, slots=True)
class And:
    """All children hold."""

    children: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child holds."""

    children: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The child does not hold."""

    child: Expr


Expr = And | Or | Not | Leaf


def conjuncts(expr: Expr) -> list[Expr]:
    """The top-level AND chain of `expr`, nested `And`s flattened (`[expr]` when it is no `And`)."""
    if isinstance(expr, And):
        out: list[Expr] = []
        for child in expr.children:
            out.extend(conjuncts(child))
        return out
    return [expr]


def _is_exclusion_clause(expr: Expr) -> bool:
    """A `not (...)`, or a negated test like `field != x`; a presence test (`field != null`) is a requirement."""
    if isinstance(expr, Leaf):
        p = expr.predicate
        return p.negated and p.operator not in PRESENCE
    return isinstance(expr, Not)


def flatten(
    expr: Expr | None, predicates: list[Predicate] | None = None
) -> tuple[list[Predicate], dict[str, Any] | None]:
    """Number the leaves of `expr` into a predicate list and return it with the JSON logic tree.

    Pass `predicates` to append to an existing list (EQL sequences, SPL pipelines): the tree's
    `{"p": i}` leaves then index into the combined list.
    """
    out = predicates if predicates is not None else []
    if expr is None:
        return out, None
    top = conjuncts(expr)
    has_positive = any(not _is_exclusion_clause(c) for c in top)
    if len(top) > 1 and has_positive:
        trees = [_walk(c, out, negated=False, exclusion=_is_exclusion_clause(c)) for c in top]
        return out, {"and": trees}
    return out, _walk(expr, out, negated=False, exclusion=False)


def _walk(expr: Expr, out: list[Predicate], *, negated: bool, exclusion: bool) -> dict[str, Any]:
    if isinstance(expr, Leaf):
        p = expr.predicate
        if negated or exclusion != p.exclusion:  # `replace` is costly on the hot path: only when something changes
            p = replace(p, negated=p.negated ^ negated, exclusion=exclusion)
        out.append(p)
        return {"p": len(out) - 1}
    if isinstance(expr, Not):
        return {"not": _walk(expr.child, out, negated=not negated, exclusion=exclusion)}
    key = "and" if isinstance(expr, And) else "or"
    return {key: [_walk(c, out, negated=negated, exclusion=exclusion) for c in expr.children]}
