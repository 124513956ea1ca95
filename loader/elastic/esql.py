"""ES|QL queries -> predicates, with the lark grammar `esql.lark` and an inline transformer.

`FROM` patterns become `QueryResult.sources`. The `WHERE`s before the first `STATS` are ANDed into the
main filter (top-level `NOT`s there are exclusions); a `WHERE` after a `STATS`, or on a column that
`EVAL`/`STATS`/`DISSECT`/`GROK`/`RENAME`/`ENRICH` computed, yields `Scope.THRESHOLD` predicates.
`KQL("...")` conditions are read with the KQL parser (`loader.elastic.kql.kql_expr`).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token

import loader.logic
from graph_schema.errors import QuerySyntaxError, RuleParseError
from loader.elastic import errors, kql, terms
from loader.elastic.errors import parse_or_raise
from loader.elastic.kql import kql_expr
from loader.elastic.query_cache import QueryCache
from loader.elastic.terms import (
    NO_FIELDS,
    Call,
    Field,
    Literal,
    Opaque,
    Skip,
    TermTransformer,
    as_condition,
    comparison_test,
    decode_string,
    field_of,
    flatten_group,
    glob_operator,
    make_leaf,
    prune,
    text_of,
    values_test,
)
from loader.logic import And, Expr, Leaf, Not, Or
from loader.model import Operator, Predicate, QueryResult, Scope

__all__ = ["parse_esql"]

_GRAMMAR = Path(__file__).with_name("esql.lark")
_CACHE = QueryCache(
    "esql",
    (lark.__version__,),
    [
        Path(__file__),
        _GRAMMAR,
        *(Path(module.__file__) for module in (terms, errors, loader.logic, kql)),
        Path(kql.__file__).with_name("kql.lark"),  # `KQL("...")` conditions
    ],
)
# boolean functions `fn(field, value, ...)`
_FUNCTIONS = {
    "starts_with": Operator.STARTSWITH,
    "ends_with": Operator.ENDSWITH,
    "contains": Operator.CONTAINS,
    "cidr_match": Operator.CIDR,
    "mv_contains": Operator.EQ,
    "match": Operator.MATCH,
}
# processing commands we do not read but know to filter nothing
_HARMLESS_COMMANDS = {"completion"}
_BACKTICKS = re.compile(r"`((?:``|[^`])*)`")
_DISSECT_KEY = re.compile(r"%\{([^}]*)\}")
_GROK_NAME = re.compile(r"%\{\w+:([^:}]+)(?::\w+)?\}|\(\?<([^>]+)>")
_ASSIGNED = re.compile(r"^\s*([\w.@`]+)\s*=(?!=)")


@dataclass(frozen=True, slots=True)
class _Options:
    text: str  # a `{"name": value}` map: function options, not an argument


@dataclass(frozen=True, slots=True)
class _Source:
    patterns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Where:
    condition: Any


@dataclass(frozen=True, slots=True)
class _Columns:
    names: tuple[str, ...]  # columns a command computes (EVAL, RENAME, DISSECT, GROK, ENRICH ...)


@dataclass(frozen=True, slots=True)
class _Aggregates:
    items: tuple[tuple[str, Any], ...]  # (column name, per-aggregation WHERE condition or None)


@dataclass(frozen=True, slots=True)
class _Stats:
    names: tuple[str, ...]
    by: tuple[str, ...]
    filters: tuple[Any, ...]  # per-aggregation `WHERE` conditions
    inline: bool  # INLINE STATS keeps the rows: not a pipeline break


@dataclass(frozen=True, slots=True)
class _Other:
    name: str
    names: tuple[str, ...]


def _unquote(name: str) -> str:
    return _BACKTICKS.sub(lambda m: m.group(1).replace("``", "`"), name)


def _condition(node: Any) -> Any:
    if isinstance(node, Call) and node.name.lower() == "kql":
        return _kql_condition(node)
    return as_condition(node, _FUNCTIONS)


def _kql_condition(call: Call) -> Any:
    """`KQL("...")`: the condition as the KQL parser reads it."""
    query = call.args[0] if len(call.args) == 1 else None
    if not isinstance(query, Literal) or query.value is None:
        return Skip(call.text, "KQL() takes one string")
    try:
        return kql_expr(query.value)
    except RuleParseError as error:
        return Skip(call.text, error.message)


def _no_tokens(c: list[Any]) -> list[Any]:
    return [x for x in c if not isinstance(x, Token)]


class _ToLogic(TermTransformer):
    """Callbacks named after `esql.lark` rules, run inline by the LALR parser (no parse tree is built)."""

    # values
    def qname(self, c: list[Token]) -> Field:
        return Field(_unquote(c[0]), str(c[0]))

    def string(self, c: list[Token]) -> Literal:
        return Literal(decode_string(c[0]), str(c[0]))

    def number(self, c: list[Token]) -> Literal:
        return Literal(str(c[0]), str(c[0]))

    def boolean(self, c: list[Token]) -> Literal:
        return Literal(c[0].lower(), str(c[0]))

    def null(self, c: list[Token]) -> Literal:
        return Literal(None, str(c[0]))

    def negative(self, c: list[Any]) -> Literal | Opaque:
        inner = c[1]
        if isinstance(inner, Literal) and inner.value and inner.value[0].isdigit():
            return Literal(f"-{inner.value}", f"-{inner.text}")
        return Opaque(f"-{text_of(inner)}")

    def unary(self, c: list[Any]) -> Any:
        return c[-1]  # unary plus

    def cast_to(self, c: list[Any]) -> Call:
        return Call(f"to_{c[1].lower()}", (c[0],), f"{text_of(c[0])}::{c[1]}")

    def map(self, c: list[Any]) -> _Options:
        return _Options("{" + ", ".join(text_of(entry) for entry in c) + "}")

    def function_call(self, c: list[Any]) -> Call:
        written = (Opaque("*"),) if len(c) > 1 and isinstance(c[1], Token) else (tuple(c[1]) if len(c) > 1 else ())
        args = tuple(a for a in written if not isinstance(a, _Options))
        return Call(str(c[0]), args, f"{c[0]}({', '.join(text_of(a) for a in written)})")

    def expr_list(self, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)

    def patterns(self, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)

    # boolean terms
    def comparison(self, c: list[Any]) -> Any:
        return comparison_test(c[0], str(c[1]), c[2])

    def _values(self, c: list[Any], operator_of: Any, modifier: str, on_field: Any = NO_FIELDS) -> Any:
        lhs, values, negated = c[0], c[-1], any(isinstance(x, Token) and x.type == "NOT" for x in c)
        field = field_of(lhs)
        text = f"{text_of(lhs)} {'NOT ' if negated else ''}{modifier.upper()} ({', '.join(map(text_of, values))})"
        test = values_test(field, values, operator_of, modifier, text, on_field) if field else Skip(text, "not a field")
        return Not(test) if negated else test

    def like(self, c: list[Any]) -> Any:
        return self._values(c, glob_operator, "like")

    def rlike(self, c: list[Any]) -> Any:
        return self._values(c, lambda _v: Operator.REGEX_MATCH, "rlike")

    def in_list(self, c: list[Any]) -> Any:
        return self._values(c, lambda _v: Operator.EQ, "in", on_field=None)

    def match_op(self, c: list[Any]) -> Any:
        return self._values([c[0], (c[1],)], lambda _v: Operator.MATCH, ":")

    def is_null(self, c: list[Any]) -> Any:
        field, negated = field_of(c[0]), any(x.type == "NOT" for x in c[1:])
        if field is None:
            return Skip(f"{text_of(c[0])} IS {'NOT ' if negated else ''}NULL", "not a field")
        return make_leaf(field, Operator.IS_NULL, None, negated=negated)

    def not_op(self, c: list[Any]) -> Not:
        return Not(_condition(c[-1]))

    def and_expr(self, c: list[Any]) -> And:
        return And(tuple(_condition(x) for x in _no_tokens(c)))

    def or_expr(self, c: list[Any]) -> Or:
        return Or(tuple(_condition(x) for x in _no_tokens(c)))

    # commands
    def index_pattern(self, c: list[Any]) -> _Source:
        return _Source((c[0].value if isinstance(c[0], Literal) else str(c[0]),))

    def from_cmd(self, c: list[Any]) -> _Source:
        return _Source(tuple(p for x in c if isinstance(x, _Source) for p in x.patterns))

    def where_cmd(self, c: list[Any]) -> _Where:
        return _Where(_condition(c[-1]))

    def assignment(self, c: list[Any]) -> tuple[str, Any]:
        return c[0].name, c[1]

    def field(self, c: list[Any]) -> tuple[str, Any]:
        return (c[0].name if isinstance(c[0], Field) else text_of(c[0])), c[0]

    def fields(self, c: list[Any]) -> tuple[tuple[str, Any], ...]:
        return tuple(c)

    def eval_cmd(self, c: list[Any]) -> _Columns:
        return _Columns(tuple(name for name, _ in c[-1]))

    def stats_field(self, c: list[Any]) -> tuple[str, Any]:
        return c[0][0], (_condition(c[-1]) if len(c) > 1 else None)

    def stats_fields(self, c: list[Any]) -> _Aggregates:
        return _Aggregates(tuple(c))

    def stats_cmd(self, c: list[Any]) -> _Stats:
        aggregates = next((x.items for x in c if isinstance(x, _Aggregates)), ())
        by = next((x for x in c if isinstance(x, tuple)), ())  # `fields` after BY
        return _Stats(
            names=tuple(name for name, _ in aggregates),
            by=tuple(name for name, _ in by),
            filters=tuple(f for _, f in aggregates if f is not None),
            inline=c[0].type != "STATS",
        )

    def rename_as(self, c: list[Any]) -> str:
        return c[-1].name

    def rename_to(self, c: list[Any]) -> str:
        return c[0].name

    def rename_cmd(self, c: list[Any]) -> _Columns:
        return _Columns(tuple(_no_tokens(c)))

    def dissect_cmd(self, c: list[Any]) -> _Columns:
        keys = (k.lstrip("+&*").split("->")[0].split("/")[0] for k in _DISSECT_KEY.findall(c[2].value or ""))
        return _Columns(tuple(k for k in keys if k and not k.startswith("?")))

    def grok_cmd(self, c: list[Any]) -> _Columns:
        return _Columns(tuple(a or b for a, b in _GROK_NAME.findall(c[2].value or "")))

    def enrich_field(self, c: list[Any]) -> str:
        return c[0].name

    def enrich_cmd(self, c: list[Any]) -> _Columns:
        return _Columns(tuple(x for x in c if isinstance(x, str) and not isinstance(x, Token)))

    def other_cmd(self, c: list[Token]) -> _Other:
        assigned = _ASSIGNED.match(c[1]) if len(c) > 1 else None
        return _Other(c[0].lower(), (_unquote(assigned.group(1)),) if assigned else ())

    def start(self, c: list[Any]) -> list[Any]:
        return c


@functools.cache
def _parser() -> Lark:
    # cache=True: lark keeps the grammar analysis in the temp directory, keyed by the grammar's hash
    return Lark(_GRAMMAR.read_text(), parser="lalr", transformer=_ToLogic(), maybe_placeholders=False, cache=True)


def _scoped(expr: Expr, derived: set[str], after_stats: bool) -> Expr:
    """Mark predicates on computed columns (or after a STATS) as THRESHOLD."""
    if isinstance(expr, Leaf):
        p = expr.predicate
        return Leaf(replace(p, scope=Scope.THRESHOLD)) if after_stats or p.field in derived else expr
    if isinstance(expr, Not):
        return Not(_scoped(expr.child, derived, after_stats))
    return type(expr)(tuple(_scoped(child, derived, after_stats) for child in expr.children))


def _all_of(exprs: list[Expr]) -> Expr | None:
    return None if not exprs else exprs[0] if len(exprs) == 1 else And(tuple(exprs))


def _result(commands: list[Any]) -> QueryResult:
    issues: list[str] = []
    sources: list[str] = []
    derived: set[str] = set()
    after_stats = False
    parts: list[list[Expr]] = [[]]  # WHERE conditions between pipeline breaks (STATS)
    stats_by: list[list[str]] = []
    aggregate_filters: list[Expr] = []

    def where(condition: Any) -> Expr | None:
        expr = prune(condition, issues)
        return None if expr is None else _scoped(expr, derived, after_stats)

    for command in commands:
        if isinstance(command, _Source):
            sources.extend(command.patterns)
        elif isinstance(command, _Where) and (expr := where(command.condition)) is not None:
            parts[-1].append(expr)
        elif isinstance(command, _Columns):
            derived.update(command.names)
        elif isinstance(command, _Stats):
            aggregate_filters.extend(e for e in map(where, command.filters) if e is not None)
            derived.update(command.names)
            if not command.inline:
                after_stats = True
                parts.append([])
                stats_by.append(list(command.by))
        elif isinstance(command, _Other):
            derived.update(command.names)
            if command.name not in _HARMLESS_COMMANDS:
                issues.append(f"command {command.name.upper()} is not interpreted")
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    predicates: list[Predicate] = []
    if len(parts) == 1 and not aggregate_filters:
        return QueryResult(predicates, flatten_group(_all_of(parts[0]), None, predicates), issues, sources)
    logic: dict[str, Any] = {
        "pipeline": [flatten_group(_all_of(part), f"pipeline[{i}]", predicates) for i, part in enumerate(parts)],
        "stats_by": stats_by[: len(parts) - 1],
    }
    if aggregate_filters:
        logic["stats_where"] = [flatten_group(e, "stats_where", predicates) for e in aggregate_filters]
    return QueryResult(predicates, logic, issues, sources)


def _parse(query: str) -> QueryResult:
    if not query.strip():
        raise QuerySyntaxError("ES|QL syntax error: empty query")
    return _result(parse_or_raise(_parser(), "ES|QL", query))


def parse_esql(query: str) -> QueryResult:
    """Parse one ES|QL query into predicates, logic and FROM sources; raise `QuerySyntaxError` if invalid."""
    return _CACHE.get_or_parse(query, _parse)
