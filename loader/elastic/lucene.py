"""Lucene query-string syntax, the `field:value` subset Elastic rules use, -> predicates (lark, LALR).

Covered: `field:value`, `field:(a OR b)`, phrases, wildcards, `/regex/`, `field:[a TO b]` / `{a TO b}`,
`field:>5`, `_exists_:field`, `AND`/`OR`/`NOT` (also `&&` `||` `!`, and lowercase as rule authors
write them), `+`/`-` prefixes. Juxtaposed clauses are OR-ed (query_string's default operator) except
that, as in a Lucene BooleanQuery, `+x` clauses are required and `-x`/`NOT x` clauses exclude.
Not covered (a `QuerySyntaxError`): boosts `^2`, fuzzy/proximity `~`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lark import Lark, Token

from loader.elastic.errors import parse_or_raise
from loader.elastic.kql import ExprBuilder, Literal, has_glob
from loader.logic import And, Expr, Leaf, Not, Or, flatten
from loader.model import Operator, Predicate, QueryResult

__all__ = ["lucene_expr", "parse_lucene"]

_GRAMMAR = r"""
start: or_query?

?or_query: and_query (_OR? and_query)*
?and_query: not_query (_AND not_query)*
?not_query: (_NOT | "-") not_query          -> negation
          | "+" not_query                     -> required
          | "(" or_query ")"
          | field ":" value_group           -> field_value
          | field ":" RANGE literal         -> field_range
          | field ":" LOWER literal _TO literal UPPER -> field_between
          | literal                         -> free_text

?value_group: "(" value_or ")"
            | literal
?value_or: value_and (_OR? value_and)*
?value_and: value_not (_AND value_not)*
?value_not: (_NOT | "-") value_not          -> negation
          | value_group

field: TERM
literal: PHRASE | REGEX | TERM

_OR.3: /(?i:or)(?=[\s(])/ | "||"
_AND.3: /(?i:and)(?=[\s(])/ | "&&"
_NOT.3: /(?i:not)(?=[\s(])/ | "!"
_TO.3: /TO(?=\s)/
RANGE: /[<>]=?/
LOWER: /[\[{]/
UPPER: /[\]}]/
PHRASE.2: /"(?:\\.|[^"\\])*"/s
REGEX.2: /\/(?:\\.|[^\/\\])*\//s
TERM.1: /(?:\\.|[^\s\\+\-!():^\[\]"{}~\/<>])(?:\\.|[^\s\\!():^\[\]"{}~\/])*/s

%ignore /\s+/
"""

_ESCAPE = re.compile(r"\\(.)", re.S)
_LOWER = {"[": Operator.GTE, "{": Operator.GT}
_UPPER = {"]": Operator.LTE, "}": Operator.LT}


def _lucene_literal(token: str) -> Literal:
    """Lucene literal rules: `\\x` is `x` everywhere; `/.../` is a regex; `*`/`?` glob outside quotes."""
    if token.startswith('"'):
        return Literal(_ESCAPE.sub(r"\1", token[1:-1]), token, quoted=True)
    if token.startswith("/"):
        return Literal(token[1:-1], token, quoted=True, regex=True)
    return Literal(_ESCAPE.sub(r"\1", token), token, wildcard=has_glob(token))


@dataclass(frozen=True, slots=True)
class _Required:
    """A `+clause`: required even inside an OR group; unwrapped by the enclosing group."""

    child: Any


def _unwrap(expr: Any) -> Any:
    return expr.child if isinstance(expr, _Required) else expr


def _bound(field: str, op: Operator, lit: Literal) -> Leaf:
    return Leaf(Predicate(field, op, lit.text, raw_value=lit.raw if lit.raw != lit.text else None))


class _LuceneBuilder(ExprBuilder):
    """KQL's tree builder with Lucene literals, `[a TO b]` ranges and `_exists_:field`."""

    def literal(self, children: list[Token]) -> Literal:
        return _lucene_literal(str(children[0]))

    def field(self, children: list[Token]) -> str:
        return _ESCAPE.sub(r"\1", str(children[0]))

    def field_value(self, children: list[Any]) -> Expr:
        field, values = children
        if field == "_exists_" and isinstance(values, Literal):
            return Leaf(Predicate(values.text, Operator.EXISTS, None))
        return super().field_value(children)

    def start(self, children: list[Any]) -> Expr | None:
        return _unwrap(children[0]) if children else None

    def required(self, children: list[Any]) -> _Required:
        return _Required(_unwrap(children[0]))

    def negation(self, children: list[Any]) -> Not:
        return Not(_unwrap(children[0]))

    def and_query(self, children: list[Any]) -> And:
        return And(tuple(_unwrap(c) for c in children))

    def or_query(self, children: list[Any]) -> Expr:
        """Lucene BooleanQuery: `+` clauses required, negated ones excluded, the rest OR-ed (dropped
        when some clause is required: they only score)."""
        musts = [c.child for c in children if isinstance(c, _Required)]
        nots = [c for c in children if isinstance(c, Not)]
        if not musts and not nots:
            return Or(tuple(children))
        shoulds = [] if musts else [c for c in children if not isinstance(c, Not)]
        should = [shoulds[0]] if len(shoulds) == 1 else [Or(tuple(shoulds))] if shoulds else []
        kept = musts + should + nots
        return kept[0] if len(kept) == 1 else And(tuple(kept))

    value_or = or_query
    value_and = and_query

    def field_between(self, children: list[Any]) -> Expr:
        field, lower_bracket, lower, upper, upper_bracket = children
        bounds = [
            _bound(field, ops[str(bracket)], lit)
            for ops, bracket, lit in ((_LOWER, lower_bracket, lower), (_UPPER, upper_bracket, upper))
            if lit.raw != "*"
        ]
        return bounds[0] if len(bounds) == 1 else And(tuple(bounds))


_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="contextual", transformer=_LuceneBuilder())


def lucene_expr(query: str) -> Expr | None:
    """The boolean tree of a Lucene query (None when it is empty); raises `QuerySyntaxError`."""
    return parse_or_raise(_PARSER, "Lucene", query)


def parse_lucene(query: str) -> QueryResult:
    """Parse a Lucene query into predicates and a logic tree; raises `QuerySyntaxError` when invalid."""
    predicates, logic = flatten(lucene_expr(query))
    return QueryResult(predicates=predicates, logic=logic)
