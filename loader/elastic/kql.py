"""KQL (Kibana's "kuery" language) -> `loader.logic` tree -> predicates, with a real lark grammar (LALR)."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer

from loader.elastic.errors import parse_or_raise
from loader.logic import And, Expr, Leaf, Not, Or, flatten
from loader.model import Operator, Predicate, QueryResult

__all__ = [
    "Literal",
    "ExprBuilder",
    "kql_expr",
    "parse_kql",
    "value_predicate",
    "apply_field",
    "map_leaves",
    "has_glob",
]

_RANGE_OPS = {">": Operator.GT, ">=": Operator.GTE, "<": Operator.LT, "<=": Operator.LTE}
_BLANK_ESCAPES = {"t": "\t", "r": "\r", "n": "\n"}
_UNQUOTED_ESCAPE = re.compile(r"\\(.)", re.S)
_QUOTED_ESCAPE = re.compile(r'\\([\\"trn])')
_UNESCAPED_GLOB = re.compile(r"(?<!\\)(?:\\\\)*[*?]")  # a `*`/`?` after an even run of backslashes


@dataclass(frozen=True, slots=True)
class Literal:
    """A value as a query writes it: unescaped `text`, the `raw` token, and how it was written."""

    text: str
    raw: str
    quoted: bool = False
    wildcard: bool = False  # an unescaped `*` or `?` in an unquoted value
    regex: bool = False  # a Lucene `/regex/`


def has_glob(raw: str) -> bool:
    """True when an unquoted token holds an unescaped `*` or `?`."""
    return _UNESCAPED_GLOB.search(raw) is not None


def _unescape(m: re.Match[str]) -> str:
    return _BLANK_ESCAPES.get(m[1], m[1])


def _kql_literal(token: str) -> Literal:
    """KQL literal rules: quoted strings only unescape `\\\\ \\" \\t \\r \\n`; unquoted ones any `\\x`."""
    if token.startswith('"'):
        return Literal(_QUOTED_ESCAPE.sub(_unescape, token[1:-1]), token, quoted=True)
    return Literal(_UNQUOTED_ESCAPE.sub(_unescape, token), token, wildcard=has_glob(token))


def value_predicate(field: str | None, lit: Literal) -> Predicate:
    """The predicate `field : lit`: MATCH without a field, EXISTS for a bare `*`, REGEX, WILDCARD or EQ."""
    if field is None:
        op = Operator.MATCH
    elif not lit.quoted and lit.raw == "*":
        return Predicate(field, Operator.EXISTS, None)
    elif lit.regex:
        op = Operator.REGEX_MATCH
    else:
        op = Operator.WILDCARD if lit.wildcard else Operator.EQ
    return Predicate(field, op, lit.text, raw_value=lit.raw if lit.raw != lit.text else None)


def map_leaves(tree: Any, fn: Callable[[Any], Expr]) -> Expr:
    """Rebuild an And/Or/Not tree with `fn` applied to each leaf (a `Leaf` or a `Literal`)."""
    if isinstance(tree, And | Or):
        return type(tree)(tuple(map_leaves(c, fn) for c in tree.children))
    if isinstance(tree, Not):
        return Not(map_leaves(tree.child, fn))
    return fn(tree)


def apply_field(field: str, values: Any) -> Expr:
    """Distribute `field` over a tree of `Literal`s (`field : (a or not b)`): one predicate per value."""
    return map_leaves(values, lambda lit: Leaf(value_predicate(field, lit)))


class ExprBuilder(Transformer):
    """Builds the `loader.logic` tree while an LALR parser reduces (no parse tree is kept)."""

    def start(self, children: list[Expr]) -> Expr | None:
        """The whole query (None when empty)."""
        return children[0] if children else None

    def literal(self, children: list[Token]) -> Literal:
        """A quoted or unquoted value."""
        return _kql_literal(str(children[0]))

    def field(self, children: list[Literal]) -> str:
        """A field name, unescaped."""
        return children[0].text

    def free_text(self, children: list[Literal]) -> Expr:
        """A value without a field: MATCH."""
        return Leaf(value_predicate(None, children[0]))

    def field_value(self, children: list[Any]) -> Expr:
        """`field : value` or `field : (values)`."""
        return apply_field(children[0], children[1])

    def field_range(self, children: list[Any]) -> Expr:
        """`field >= value` and friends."""
        field, op, lit = children
        raw = lit.raw if lit.raw != lit.text else None
        return Leaf(Predicate(field, _RANGE_OPS[str(op)], lit.text, raw_value=raw))

    def nested(self, children: list[Any]) -> Expr:
        """`field:{ query }`: the inner fields get the `field.` prefix."""
        prefix = children[0].removesuffix(".")
        return map_leaves(
            children[1], lambda leaf: Leaf(replace(leaf.predicate, field=f"{prefix}.{leaf.predicate.field}"))
        )

    def negation(self, children: list[Any]) -> Not:
        """`not x`."""
        return Not(children[0])

    def or_query(self, children: list[Any]) -> Or:
        """`a or b ...`."""
        return Or(tuple(children))

    def and_query(self, children: list[Any]) -> And:
        """`a and b ...`."""
        return And(tuple(children))

    value_or = or_query
    value_and = and_query


_PARSER = Lark(
    (Path(__file__).with_name("kql.lark")).read_text(encoding="utf-8"),
    parser="lalr",
    lexer="contextual",
    transformer=ExprBuilder(),
)


def kql_expr(query: str) -> Expr | None:
    """The boolean tree of a KQL query (None when it is empty); raises `QuerySyntaxError`."""
    return parse_or_raise(_PARSER, "KQL", query)


def parse_kql(query: str) -> QueryResult:
    """Parse a KQL query into predicates and a logic tree; raises `QuerySyntaxError` when invalid."""
    predicates, logic = flatten(kql_expr(query))
    return QueryResult(predicates=predicates, logic=logic)
