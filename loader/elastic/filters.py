"""Kibana-style `filters` (a rule's `filters` / `threat_filters` arrays) -> `loader.logic` trees.

A filter is an Elasticsearch query clause (`match_phrase`, `wildcard`, `exists`, `bool` ...) under
`query` (or, in older saved objects, at the top level) plus `meta`: `meta.negate` wraps it in a `Not`,
`meta.disabled` drops it. Kibana AND-s the filters with the rule's query.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from graph_schema.errors import QuerySyntaxError
from loader.elastic.kql import Literal, has_glob, value_predicate
from loader.logic import And, Expr, Leaf, Not, Or
from loader.model import Operator, Predicate

__all__ = ["filter_expr"]

_RANGE_KEYS = {"gt": Operator.GT, "gte": Operator.GTE, "lt": Operator.LT, "lte": Operator.LTE}
_NOT_A_CLAUSE = {"meta", "$state"}
_ESCAPE = re.compile(r"\\(.)", re.S)


def _text(value: Any) -> str:
    """A filter value as a string: JSON booleans as `true`/`false`, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list) or value is None:
        raise QuerySyntaxError(f"Kibana filter value {value!r} is not a scalar")
    return str(value)


def _field_value(body: Any, *keys: str) -> tuple[str, Any, dict[str, Any]]:
    """`{field: value}` or `{field: {"query"|"value": value, ...options}}` -> (field, value, options)."""
    if not isinstance(body, dict) or len(body) != 1:
        raise QuerySyntaxError(f"Kibana filter clause {body!r} does not name exactly one field")
    ((field, spec),) = body.items()
    if not isinstance(spec, dict):
        return field, spec, {}
    value = next((spec[k] for k in keys if k in spec), None)
    if value is None:
        raise QuerySyntaxError(f"Kibana filter on {field!r} has none of {', '.join(keys)}")
    return field, value, spec


def _cased(predicate: Predicate, options: dict[str, Any]) -> Leaf:
    return Leaf(replace(predicate, modifiers=("case_insensitive",)) if options.get("case_insensitive") else predicate)


def _phrase(body: Any) -> Expr:
    field, value, _ = _field_value(body, "query")
    text = _text(value)
    return Leaf(value_predicate(field, Literal(text, text, quoted=True)))


def _term(body: Any) -> Expr:
    field, value, options = _field_value(body, "value")
    return _cased(Predicate(field, Operator.EQ, _text(value)), options)


def _terms(body: Any) -> Expr:
    fields = {k: v for k, v in body.items() if k != "boost"} if isinstance(body, dict) else body
    if not isinstance(fields, dict) or len(fields) != 1 or not isinstance(next(iter(fields.values())), list):
        raise QuerySyntaxError(f"Kibana terms filter {body!r} is not one field with a list of values")
    ((field, values),) = fields.items()
    return Or(tuple(Leaf(Predicate(field, Operator.EQ, _text(v))) for v in values))


def _wildcard(body: Any) -> Expr:
    """Elasticsearch wildcard syntax: `*`/`?` glob, `\\x` escapes x (the value keeps the raw form)."""
    field, value, options = _field_value(body, "value", "wildcard")
    raw = _text(value)
    literal = Literal(_ESCAPE.sub(r"\1", raw), raw, wildcard=has_glob(raw))
    return _cased(value_predicate(field, literal), options)


def _prefix(body: Any) -> Expr:
    field, value, options = _field_value(body, "value")
    return _cased(Predicate(field, Operator.STARTSWITH, _text(value)), options)


def _regexp(body: Any) -> Expr:
    field, value, options = _field_value(body, "value")
    return _cased(Predicate(field, Operator.REGEX_MATCH, _text(value)), options)


def _exists(body: Any) -> Expr:
    if not isinstance(body, dict) or not isinstance(body.get("field"), str):
        raise QuerySyntaxError(f"Kibana exists filter {body!r} names no field")
    return Leaf(Predicate(body["field"], Operator.EXISTS, None))


def _range(body: Any) -> Expr:
    if not isinstance(body, dict) or len(body) != 1 or not isinstance(next(iter(body.values())), dict):
        raise QuerySyntaxError(f"Kibana range filter {body!r} is not one field with bounds")
    ((field, bounds),) = body.items()
    leaves = [Leaf(Predicate(field, op, _text(bounds[k]))) for k, op in _RANGE_KEYS.items() if k in bounds]
    if not leaves:
        raise QuerySyntaxError(f"Kibana range filter on {field!r} has no gt/gte/lt/lte bound")
    return _all(leaves)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _bool(body: Any) -> Expr | None:
    """`must`/`filter` AND-ed, `should` OR-ed (only scoring when a must/filter exists and no
    minimum_should_match asks for it), each `must_not` clause negated."""
    if not isinstance(body, dict):
        raise QuerySyntaxError(f"Kibana bool filter {body!r} is not an object")
    parts = [e for c in _listed(body.get("must", [])) + _listed(body.get("filter", [])) if (e := _clause(c))]
    shoulds = [e for c in _listed(body.get("should", [])) if (e := _clause(c))]
    if shoulds and (not parts or body.get("minimum_should_match") not in (None, 0, "0", "0%")):
        parts.append(shoulds[0] if len(shoulds) == 1 else Or(tuple(shoulds)))
    parts += [Not(e) for c in _listed(body.get("must_not", [])) if (e := _clause(c))]
    return _all(parts) if parts else None


def _all(parts: list[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else And(tuple(parts))


_CLAUSES: dict[str, Callable[[Any], Expr | None]] = {
    "match_phrase": _phrase,
    "match": _phrase,
    "term": _term,
    "terms": _terms,
    "wildcard": _wildcard,
    "prefix": _prefix,
    "regexp": _regexp,
    "exists": _exists,
    "range": _range,
    "bool": _bool,
    "match_all": lambda body: None,
}


def _clause(clause: Any) -> Expr | None:
    """One Elasticsearch query clause `{kind: body}` (several kinds in one object are AND-ed)."""
    if not isinstance(clause, dict) or not clause:
        raise QuerySyntaxError(f"Kibana filter clause {clause!r} is not a query object")
    unknown = sorted(set(clause) - set(_CLAUSES))
    if unknown:
        raise QuerySyntaxError(f"unsupported Kibana filter clause {', '.join(map(repr, unknown))}")
    parts = [e for kind, body in clause.items() if (e := _CLAUSES[kind](body))]
    return _all(parts) if parts else None


def filter_expr(kibana_filter: Any) -> Expr | None:
    """The tree of one Kibana filter (None when disabled or match-all); raises `QuerySyntaxError`."""
    if not isinstance(kibana_filter, dict):
        raise QuerySyntaxError(f"Kibana filter {kibana_filter!r} is not an object")
    meta = kibana_filter.get("meta") or {}
    if meta.get("disabled"):
        return None
    clause = kibana_filter.get("query") or {k: v for k, v in kibana_filter.items() if k not in _NOT_A_CLAUSE}
    expr = _clause(clause)
    return Not(expr) if expr is not None and meta.get("negate") else expr
