"""EQL queries -> predicates: Elastic's `eql` grammar, read by one LALR parser that builds our logic tree.

The `eql` package's own walker (type checks, schema, optimiser) costs three times the parse and
rejects newer syntax unless configured, so we reuse its grammar (`eql/etc/eql.g`) and turn the parse
straight into `loader.logic` expressions with an inline transformer, using the term builders shared
with ES|QL (`loader.elastic.terms`). Results are cached on disk (`loader.elastic.query_cache`), keyed
by the query text, the `eql`/`lark` versions and the parser's source files.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import eql
import lark
from eql.etc import get_etc_file
from lark import Lark, Token

import loader.logic
from graph_schema.errors import QuerySyntaxError
from loader.elastic import errors, terms
from loader.elastic.errors import parse_or_raise
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
    prune,
    text_of,
    values_test,
)
from loader.logic import And, Expr, Leaf, Not, Or, flatten
from loader.model import Operator, Predicate, QueryResult, Scope

__all__ = ["parse_eql"]

_CACHE = QueryCache(
    "eql",
    (eql.__version__, lark.__version__),  # the grammar is `eql`'s own
    [Path(__file__), *(Path(module.__file__) for module in (terms, errors, loader.logic))],
)
_FIELD_NOISE = re.compile(r"`([^`]*)`|\s+")  # a backticked name (kept, without its backticks) or spaces
# boolean functions `fn(field, value, ...)`
_FUNCTIONS = {
    "startswith": Operator.STARTSWITH,
    "endswith": Operator.ENDSWITH,
    "stringcontains": Operator.CONTAINS,
    "wildcard": Operator.WILDCARD,
    "cidrmatch": Operator.CIDR,
    "match": Operator.REGEX_MATCH,
    "matchlite": Operator.REGEX_MATCH,  # eql's MatchLite is its Match: the same regex, the same case rule
    "arraycontains": Operator.EQ,
}


@dataclass(frozen=True, slots=True)
class _Event:
    category: str | None
    condition: Any
    missing: bool = False  # `![...]` in a sequence: the event must not occur


@dataclass(frozen=True, slots=True)
class _By:
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Param:
    name: str  # "maxspan" or "runs"
    value: str


@dataclass(frozen=True, slots=True)
class _Step:
    event: _Event
    by: tuple[str, ...] = ()
    runs: str | None = None


@dataclass(frozen=True, slots=True)
class _Until:
    step: _Step


@dataclass(frozen=True, slots=True)
class _Query:
    kind: str | None  # None for a single event query, else "sequence", "sample", "join"
    steps: tuple[_Step, ...]
    by: tuple[str, ...] = ()
    maxspan: str | None = None
    until: _Step | None = None


def _condition(node: Any) -> Any:
    return as_condition(node, _FUNCTIONS)


class _ToLogic(TermTransformer):
    """Callbacks named after `eql.g` rules, run inline by the LALR parser (no parse tree is built)."""

    # values
    def name(self, c: list[Token]) -> str:
        return str(c[0])

    def escaped_name(self, c: list[Token]) -> Field:
        return Field(c[0][1:-1], str(c[0]))

    def base_field(self, c: list[Any]) -> Field | Literal:
        if isinstance(c[0], Field):
            return c[0]
        if c[0] in ("true", "false"):
            return Literal(c[0], c[0])
        return Literal(None, c[0]) if c[0] == "null" else Field(c[0], c[0])

    def field(self, c: list[Token]) -> Field:
        text = str(c[0])
        name = _FIELD_NOISE.sub(lambda m: m.group(1) or "", text.lstrip("?"))  # `a. b[ 0 ]`, `` a.`b c` ``
        return Field(name, text, optional=text.startswith("?"))

    def literal(self, c: list[Any]) -> Any:
        return c[0]

    def number(self, c: list[Token]) -> Literal:
        return Literal(str(c[0]), str(c[0]))

    def boolean(self, c: list[Token]) -> Literal:
        return Literal(str(c[0]), str(c[0]))

    def null(self, c: list[Any]) -> Literal:
        return Literal(None, "null")

    def string(self, c: list[Token]) -> Literal:
        return Literal(decode_string(str(c[0])), str(c[0]))

    def value(self, c: list[Any]) -> Literal | Opaque:
        sign, inner = c
        if isinstance(inner, Literal) and inner.value and inner.value[0].isdigit():
            return Literal(f"{sign}{inner.value}", f"{sign}{inner.text}")
        return Opaque(f"{sign}{text_of(inner)}")

    def function_call(self, c: list[Any]) -> Call:
        name, args = str(c[0]), tuple(c[1]) if len(c) > 1 else ()
        return Call(name, args, f"{name}({', '.join(text_of(a) for a in args)})")

    def method_name(self, c: list[Token]) -> str:
        return str(c[0])[1:-1]

    def method(self, c: list[Any]) -> tuple[str, tuple[Any, ...]]:
        return c[0], tuple(c[1]) if len(c) > 1 else ()

    def method_chain(self, c: list[Any]) -> Any:
        node = c[0]
        for name, args in c[1:]:
            node = self.function_call([name, [node, *args]])
        return node

    def expressions(self, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)

    # boolean terms
    def comparison(self, c: list[Any]) -> Any:
        return comparison_test(c[0], str(c[1]), c[2])

    def in_set(self, c: list[Any]) -> Any:
        field, op = field_of(c[0]), str(c[1])
        text = f"{text_of(c[0])} {op} ({', '.join(text_of(v) for v in c[2])})"
        if field is None:
            return Skip(text, "left side is not a field")
        return values_test(field, c[2], lambda _v: Operator.EQ, op, text)

    def not_in_set(self, c: list[Any]) -> Not:
        return Not(self.in_set(c))

    def string_predicate(self, c: list[Any]) -> Any:
        lhs, op, values = c[0], str(c[1]), c[2:]
        field = field_of(lhs)
        text = f"{text_of(lhs)} {op} {', '.join(text_of(v) for v in values)}"
        if field is None:
            return Skip(text, "left side is not a field")
        operator_of = (lambda _v: Operator.REGEX_MATCH) if op.startswith("regex") else glob_operator
        return values_test(field, values, operator_of, op, text, on_field=NO_FIELDS)

    def not_expr(self, c: list[Any]) -> Any:
        node = _condition(c[-1])
        for _ in range(len(c) - 1):
            node = Not(node)
        return node

    def and_expr(self, c: list[Any]) -> And:
        return And(tuple(_condition(x) for x in c))

    def or_expr(self, c: list[Any]) -> Or:
        return Or(tuple(_condition(x) for x in c))

    # queries
    def event_query(self, c: list[Any]) -> _Event:
        return _Event(c[0] if len(c) == 2 else None, _condition(c[-1]))

    def subquery(self, c: list[Any]) -> _Event:
        return replace(c[-1], missing=len(c) == 2)

    def time_range(self, c: list[Any]) -> str:
        return "".join(text_of(x) for x in c)

    def with_params(self, c: list[Any]) -> _Param:
        return _Param("maxspan", c[-1])

    def repeated_sequence(self, c: list[Token]) -> _Param:
        return _Param("runs", str(c[-1]))

    def join_values(self, c: list[Any]) -> _By:
        return _By(tuple(x.name if isinstance(x, Field) else text_of(x) for x in c[0]))

    def subquery_by(self, c: list[Any]) -> _Step:
        by = next((x.fields for x in c if isinstance(x, _By)), ())
        runs = next((x.value for x in c if isinstance(x, _Param) and x.name == "runs"), None)
        return _Step(c[0], by, runs)

    def until_subquery_by(self, c: list[Any]) -> _Until:
        return _Until(c[0])

    def _multi(self, kind: str, c: list[Any]) -> _Query:
        return _Query(
            kind,
            tuple(x for x in c if isinstance(x, _Step)),
            by=next((x.fields for x in c if isinstance(x, _By)), ()),
            maxspan=next((x.value for x in c if isinstance(x, _Param)), None),
            until=next((x.step for x in c if isinstance(x, _Until)), None),
        )

    def sequence(self, c: list[Any]) -> _Query:
        return self._multi("sequence", c)

    def sample(self, c: list[Any]) -> _Query:
        return self._multi("sample", c)

    def join(self, c: list[Any]) -> _Query:
        return self._multi("join", c)

    def base_query(self, c: list[Any]) -> _Query:
        return _Query(None, (_Step(c[0]),)) if isinstance(c[0], _Event) else c[0]

    def piped_query(self, c: list[Any]) -> Any:
        return c[0]  # pipes (`| head`, `| unique_count` ...) do not select events: ignored


@functools.cache
def _parser() -> Lark:
    return Lark(
        get_etc_file("eql.g"),
        parser="lalr",
        start="piped_query",
        transformer=_ToLogic(),
        maybe_placeholders=False,
        cache=True,  # lark keeps the grammar analysis in the temp directory, keyed by the grammar's hash
    )


def _event_expr(event: _Event, issues: list[str]) -> Expr | None:
    condition = prune(event.condition, issues)
    parts: list[Expr] = []
    if event.category and event.category != "any":
        category = Predicate("event.category", Operator.EQ, event.category, scope=Scope.EVENT_CATEGORY)
        parts.append(Leaf(category))
    if condition is not None:
        parts.append(condition)
    expr = And(tuple(parts)) if len(parts) > 1 else (parts[0] if parts else None)
    return Not(expr) if event.missing and expr is not None else expr


def _flatten_step(step: _Step, group: str, predicates: list[Predicate], issues: list[str]) -> Any:
    return flatten_group(_event_expr(step.event, issues), group, predicates)


def _result(query: _Query) -> QueryResult:
    issues: list[str] = []
    if query.kind is None:
        predicates, logic = flatten(_event_expr(query.steps[0].event, issues))
        return QueryResult(predicates=predicates, logic=logic, issues=issues)
    predicates = []
    trees = [_flatten_step(s, f"{query.kind}[{i}]", predicates, issues) for i, s in enumerate(query.steps)]
    logic: dict[str, Any] = {query.kind: trees}
    if query.by:
        logic["by"] = list(query.by)
    if any(s.by for s in query.steps):
        logic["step_by"] = [list(s.by) for s in query.steps]
    if any(s.runs for s in query.steps):
        logic["runs"] = [int(s.runs or 1) for s in query.steps]
    if query.maxspan:
        logic["maxspan"] = query.maxspan
    if query.until:
        logic["until"] = _flatten_step(query.until, "until", predicates, issues)
        if query.until.by:
            logic["until_by"] = list(query.until.by)
    return QueryResult(predicates=predicates, logic=logic, issues=issues)


def _parse(query: str) -> QueryResult:
    if not query.strip():
        raise QuerySyntaxError("EQL syntax error: empty query")
    parsed = parse_or_raise(_parser(), "EQL", query if query.endswith("\n") else query + "\n")
    if not isinstance(parsed, _Query):
        return QueryResult(issues=["query has pipes only: no event selection"])
    return _result(parsed)


def parse_eql(query: str) -> QueryResult:
    """Parse one EQL query into predicates and logic; raise `QuerySyntaxError` when it is not EQL."""
    return _CACHE.get_or_parse(query, _parse)
