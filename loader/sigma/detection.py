"""Sigma detections (selections, filters, keywords) -> `loader.logic` trees of predicates.

Read from the raw YAML dict, with Sigma's semantics: a mapping ANDs its items, a list ORs its
entries, an item ORs its values (ANDs them with `|all`), a field-less value is a keyword (`match`).
String values without an unescaped `*`/`?` are unescaped (`\\*` -> `*`), `raw_value` keeps the text.
"""
from __future__ import annotations

import ipaddress
import reprlib
from datetime import date
from typing import Any

from loader.logic import And, Expr, Leaf, Not, Or
from loader.model import Operator, Predicate
from loader.sigma.modifiers import LIST_AND, NEGATING, resolve_modifiers
from loader.sigma.reader import WrittenFloat

__all__ = ["selection_expr", "combine", "split_key", "value_text", "has_wildcard", "unescape"]

_PLAIN = (str, int, float, bool, date, type(None))
_UNESCAPED = frozenset({Operator.EQ, Operator.CONTAINS, Operator.STARTSWITH, Operator.ENDSWITH})
_NUMERIC = frozenset({Operator.GT, Operator.GTE, Operator.LT, Operator.LTE})
_CHECKED = _NUMERIC | {Operator.CIDR}


def selection_expr(name: str, definition: Any, issues: list[str]) -> Expr | None:
    """The tree of one named detection; its predicates carry `group=name`. Unparsable items go to `issues`."""
    if definition is None or (isinstance(definition, list | dict) and not definition):
        issues.append(f"{name}: empty detection (skipped)")
        return None
    if isinstance(definition, dict):
        return combine(And, [_item(name, key, value, issues) for key, value in definition.items()])
    if isinstance(definition, list) and not all(isinstance(v, _PLAIN) for v in definition):
        return combine(Or, [selection_expr(name, entry, issues) for entry in definition])
    return _item(name, None, definition, issues)  # keyword(s)


def split_key(key: Any) -> tuple[str | None, tuple[str, ...]]:
    """`'Image|endswith'` -> `('Image', ('endswith',))`; a field-less key (`'|contains'`, None) -> `(None, ...)`."""
    if key is None:
        return None, ()
    field, *modifiers = str(key).split("|")
    return field or None, tuple(modifiers)


def value_text(value: Any) -> str:
    """A YAML scalar as the rule writes it: integers as digits, other numbers as written (`1.0`, read by
    `loader.sigma.reader` as a `WrittenFloat`), booleans lower-case, dates ISO."""
    if isinstance(value, WrittenFloat):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def has_wildcard(text: str) -> bool:
    """True when `text` holds a `*` or `?` not escaped by a backslash (Sigma glob semantics)."""
    if "*" not in text and "?" not in text:
        return False
    escaped = False
    for c in text:
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c in "*?":
            return True
    return False


def unescape(text: str) -> str:
    """Remove Sigma escapes: `\\\\` -> `\\`, `\\*` -> `*`, `\\?` -> `?`; any other backslash is literal."""
    if "\\\\" not in text and "\\*" not in text and "\\?" not in text:
        return text  # no escape sequence: most Windows paths
    out: list[str] = []
    escaped = False
    for c in text:
        if escaped:
            if c not in "*?\\":
                out.append("\\")
            out.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        else:
            out.append(c)
    if escaped:
        out.append("\\")
    return "".join(out)


def combine(kind: type[And] | type[Or], children: list[Expr | None]) -> Expr | None:
    """`kind` of the non-None children; the child itself when only one is left, None when none is."""
    kept = tuple(c for c in children if c is not None)
    if len(kept) > 1:
        return kind(kept)
    return kept[0] if kept else None


def _item(group: str, key: Any, value: Any, issues: list[str]) -> Expr | None:
    """One `field|modifiers: value(s)` entry (key None: bare keywords)."""
    field, modifiers = split_key(key)
    chain = resolve_modifiers(modifiers)
    if chain.unknown:
        names = ", ".join(repr(u) for u in chain.unknown)
        issues.append(f"{group}: unknown modifier {names} in '{key}' (item skipped)")
        return None
    issues.extend(f"{group}: '{key}': {problem}" for problem in chain.problems)
    values = value if isinstance(value, list) else [value]
    leaves: list[Expr | None] = [
        _leaf(group, field, chain.operator, modifiers, v, issues, chain.relation) for v in (values or [None])
    ]
    expr = combine(And if LIST_AND.intersection(modifiers) else Or, leaves)
    if expr is not None and NEGATING.intersection(modifiers):
        return Not(expr)
    return expr


_SHORT = reprlib.Repr()  # a value in an issue is shown shortened: a deep or huge value would flood the report
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 3, 4, 4, 60, 60


def _leaf(
    group: str,
    field: str | None,
    operator: Operator | None,
    modifiers: tuple[str, ...],
    value: Any,
    issues: list[str],
    relation: Operator | None = None,
) -> Leaf | None:
    """One value of an item as a predicate (None, with an issue, when it cannot be one)."""
    if not isinstance(value, _PLAIN):
        issues.append(f"{group}: unsupported value {_SHORT.repr(value)} for '{field}' (skipped)")
        return None
    if value is None:
        if field is None:
            issues.append(f"{group}: a null keyword must be bound to a field (skipped)")
            return None
        return Leaf(Predicate(field, Operator.IS_NULL, None, modifiers=modifiers, group=group))
    text = value if isinstance(value, str) else value_text(value)
    if operator is Operator.EXISTS:
        if not isinstance(value, bool):
            issues.append(f"{group}: '{field}|exists' needs true or false, not {text!r}")
        negated = value is False
        return Leaf(Predicate(field, operator, None, negated, raw_value=text, modifiers=modifiers, group=group))
    if operator in _CHECKED:
        _check_value(group, field, operator, value, text, issues)
    if operator is None:
        operator = Operator.WILDCARD if has_wildcard(text) else Operator.EQ
    raw_value = None
    if operator in _UNESCAPED and isinstance(value, str) and not has_wildcard(text):
        plain = unescape(text)
        if plain != text:
            text, raw_value = plain, text
    if field is None:
        operator = Operator.MATCH
    relation = relation if operator is Operator.FIELDREF else None
    return Leaf(
        Predicate(field, operator, text, raw_value=raw_value, modifiers=modifiers, group=group, relation=relation)
    )


def _check_value(
    group: str, field: str | None, operator: Operator | None, value: Any, text: str, issues: list[str]
) -> None:
    """Record (keep) values their operator cannot compare: non-numbers for gt/lt, bad networks for cidr."""
    if operator in _NUMERIC and (isinstance(value, bool) or not isinstance(value, int | float)):
        issues.append(f"{group}: '{field}|{operator}' needs a number, not {text!r}")
    elif operator is Operator.CIDR:
        try:
            ipaddress.ip_network(text)
        except ValueError:
            try:
                network = ipaddress.ip_network(text, strict=False)
            except ValueError:
                issues.append(f"{group}: '{field}|cidr' value {text!r} is no network")
            else:
                issues.append(f"{group}: '{field}|cidr' value {text!r} has host bits set (the network is {network})")
