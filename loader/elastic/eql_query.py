"""EQL queries -> predicates: Elastic's `eql` grammar, read by one LALR parser that builds our logic tree.

The `eql` package's own walker (type checks, schema, optimiser) costs three times the parse and
rejects newer syntax unless configured, so we reuse its grammar (`eql/etc/eql.g`) and turn the parse
straight into `loader.logic` expressions with an inline transformer. Results are cached on disk
(`QueryCache`), keyed by the query text, the `eql`/`lark` versions and this module's source.

The term builders (`Field`, `Literal`, `comparison_test`, `prune`, ...) and `QueryCache` are shared
with the ES|QL parser (`loader.elastic.esql`).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import eql
import lark
from eql.etc import get_etc_file
from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

import loader.model
from graph_schema.errors import QuerySyntaxError
from loader.logic import And, Expr, Leaf, Not, Or, flatten
from loader.model import Operator, Predicate, QueryResult, Scope

__all__ = [
    "parse_eql",
    "QueryCache",
    "Field",
    "Literal",
    "Call",
    "Opaque",
    "Skip",
    "WRAPPERS",
    "COMPARISONS",
    "text_of",
    "glob_operator",
    "any_of",
    "as_condition",
    "decode_string",
    "field_of",
    "make_leaf",
    "values_test",
    "comparison_test",
    "function_test",
    "prune",
    "flatten_group",
    "syntax_error",
]

# --- terms shared with ES|QL ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """A field reference; `wrappers` are value functions around it (`length(f)`, `TO_LOWER(f)`)."""

    name: str
    text: str
    optional: bool = False  # EQL `?field`
    wrappers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant as written; `value` is None for `null`."""

    value: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Call:
    """A function call not (yet) interpreted: a value, or a boolean test in boolean position."""

    name: str
    args: tuple[Any, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Opaque:
    """A value we do not interpret: arithmetic, casts, sub-queries."""

    text: str


@dataclass(frozen=True, slots=True)
class Skip:
    """A boolean term we cannot turn into predicates; `prune` drops it and reports it."""

    text: str
    reason: str


# value functions of one argument: a test on `f(field)` is kept on the field, `f` as a modifier
WRAPPERS = frozenset(
    {
        "length", "string", "number", "to_lower", "to_upper", "to_string", "trim", "ltrim", "rtrim",
        "to_ip", "to_double", "to_integer", "to_long", "to_version", "url_decode", "from_base64",
        "mv_first", "mv_last", "mv_min", "mv_max", "mv_dedupe",
    }
)
COMPARISONS = {
    "==": Operator.EQ,
    "=": Operator.EQ,
    "!=": Operator.EQ,
    "<": Operator.LT,
    "<=": Operator.LTE,
    ">": Operator.GT,
    ">=": Operator.GTE,
}
_MIRROR = {"==": "==", "=": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(?:u\{([0-9A-Fa-f]{1,8})\}|(.))")


def text_of(node: Any) -> str:
    """The node as (approximately) written, for issue messages."""
    return node.text if hasattr(node, "text") else str(node)


def decode_string(text: str) -> str:
    """The value of a string literal: `"..."` with backslash escapes, raw `\"\"\"...\"\"\"` or EQL `?"..."`."""
    if text.startswith('"""'):
        return text[3:-3]
    if text.startswith("?"):
        return text[2:-1].replace("\\" + text[1], text[1])
    return _ESCAPE_RE.sub(_unescape, text[1:-1])


def _unescape(match: re.Match[str]) -> str:
    if match.group(1):
        return chr(int(match.group(1), 16))
    return _ESCAPES.get(match.group(2), match.group(0))


def glob_operator(value: str) -> Operator:
    """WILDCARD when the pattern has `*` or `?`, else EQ."""
    return Operator.WILDCARD if "*" in value or "?" in value else Operator.EQ


def field_of(node: Any) -> Field | None:
    """The field a value node reads, looking through one-argument value functions (`WRAPPERS`)."""
    if isinstance(node, Field):
        return node
    if isinstance(node, Call) and node.name.lower() in WRAPPERS and len(node.args) == 1:
        inner = field_of(node.args[0])
        return inner and replace(inner, wrappers=(node.name.lower(), *inner.wrappers))
    return None


def make_leaf(
    field: Field,
    operator: Operator,
    value: Literal | Field | None,
    *,
    negated: bool = False,
    modifier: str | None = None,
) -> Leaf:
    """One predicate on `field`; a `Field` value makes it FIELDREF (value = the other field's name)."""
    if isinstance(value, Field):
        operator, text, raw = Operator.FIELDREF, value.name, None
    else:
        text = value.value if value else None
        raw = value.text if value and value.text != text else None
    modifiers = (*((modifier,) if modifier else ()), *field.wrappers, *(("optional",) if field.optional else ()))
    return Leaf(Predicate(field.name, operator, text, negated=negated, raw_value=raw, modifiers=modifiers))


def any_of(nodes: list[Any]) -> Any:
    """OR of `nodes` (the node itself when there is one)."""
    return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))


def values_test(
    field: Field, values: Iterable[Any], operator_of: Callable[[str], Operator], modifier: str | None, text: str
) -> Any:
    """One predicate per literal (or field) in `values`, OR-ed; anything else becomes a `Skip`."""
    leaves: list[Any] = []
    for value in values:
        other = field_of(value)
        if isinstance(value, Literal) and value.value is not None:
            leaves.append(make_leaf(field, operator_of(value.value), value, modifier=modifier))
        elif other is not None:
            leaves.append(make_leaf(field, Operator.FIELDREF, other, modifier=modifier))
        else:
            leaves.append(Skip(text, f"`{text_of(value)}` is neither a literal nor a field"))
    return any_of(leaves)


def comparison_test(lhs: Any, op: str, rhs: Any) -> Any:
    """`lhs op rhs` for `== != < <= > >=`: `null` makes IS_NULL, a field value FIELDREF."""
    text = f"{text_of(lhs)} {op} {text_of(rhs)}"
    if isinstance(lhs, Literal) and field_of(rhs):
        lhs, op, rhs = rhs, _MIRROR[op], lhs
    field, other = field_of(lhs), field_of(rhs)
    equality = op in ("==", "=", "!=")
    if field is None:
        return Skip(text, "left side is not a field")
    if other is not None:  # field against field: the comparison, unless equality, as a modifier
        return make_leaf(field, Operator.FIELDREF, other, negated=op == "!=", modifier=None if equality else op)
    if not isinstance(rhs, Literal):
        return Skip(text, "right side is not a literal")
    if rhs.value is None:
        return make_leaf(field, Operator.IS_NULL, None, negated=op == "!=") if equality else Skip(text, "null")
    return make_leaf(field, COMPARISONS[op], rhs, negated=op == "!=")


def function_test(call: Call, functions: Mapping[str, Operator]) -> Any:
    """A boolean function `fn(field, v1, v2...)` in `functions`: one predicate per value, OR-ed,
    the function's lower-cased name (`startswith~`, `cidr_match`) as a modifier."""
    operator = functions.get(call.name.rstrip("~").lower())
    if operator is None:
        return Skip(call.text, f"function {call.name}() is not interpreted")
    field = field_of(call.args[0]) if call.args else None
    if field is None:
        return Skip(call.text, "first argument is not a field")
    operator_of = glob_operator if operator is Operator.WILDCARD else (lambda _v: operator)
    return values_test(field, call.args[1:], operator_of, call.name.lower(), call.text)


def as_condition(node: Any, functions: Mapping[str, Operator]) -> Any:
    """A node in boolean position: tests stay, calls become function tests, a bare field means `== true`,
    a literal `true` means no constraint."""
    if isinstance(node, Call):
        return function_test(node, functions)
    if isinstance(node, Field):
        return make_leaf(node, Operator.EQ, Literal("true", "true"))
    if isinstance(node, Literal) and node.value is not None and node.value.lower() == "true":
        return None
    if isinstance(node, Literal | Opaque):
        return Skip(text_of(node), "not a boolean test")
    return node


def prune(node: Any, issues: list[str]) -> Expr | None:
    """Drop `Skip`s (reporting each in `issues`) and `None`s, and collapse what is left into an `Expr`."""
    if node is None or isinstance(node, Leaf):
        return node
    if isinstance(node, Skip):
        issues.append(f"skipped `{node.text}`: {node.reason}")
        return None
    if isinstance(node, Not):
        child = prune(node.child, issues)
        return Not(child) if child is not None else None
    kept = [c for c in (prune(child, issues) for child in node.children) if c is not None]
    if len(kept) <= 1:
        return kept[0] if kept else None
    return type(node)(tuple(kept))


def flatten_group(expr: Expr | None, group: str | None, predicates: list[Predicate]) -> dict[str, Any] | None:
    """`flatten` one part of a multi-part query onto `predicates`, tagging its predicates with `group`."""
    start = len(predicates)
    _, tree = flatten(expr, predicates=predicates)
    if group:
        predicates[start:] = [replace(p, group=group) for p in predicates[start:]]
    return tree


def syntax_error(language: str, error: LarkError) -> QuerySyntaxError:
    """A one-line `QuerySyntaxError` for a lark parse error."""
    token = getattr(error, "token", None)
    if isinstance(error, UnexpectedEOF) or (isinstance(token, Token) and token.type == "$END"):
        return QuerySyntaxError(f"{language} syntax error: unexpected end of query")
    found = error.char if isinstance(error, UnexpectedCharacters) else str(token)
    found = found if len(found) <= 40 else found[:40] + "..."
    where = f" at line {error.line}, column {error.column}" if isinstance(error, UnexpectedInput) else ""
    return QuerySyntaxError(f"{language} syntax error{where}: unexpected {found!r}")


# --- the on-disk cache ---------------------------------------------------------------------------


class QueryCache:
    """Parse results on disk, one JSON file per query under `$DETGRAPH_CACHE_DIR` (~/.cache/detgraph).

    The directory name carries a tag hashed from `versions` and the `sources` files' text, so a new
    library version or a code change starts a fresh directory (stale ones are removed). Safe to delete.
    Syntax errors are cached too. Any I/O problem just bypasses the cache.
    """

    def __init__(self, name: str, versions: Iterable[str], sources: Iterable[Path]) -> None:
        self.name = name
        digest = hashlib.sha256("\0".join(versions).encode())
        for source in (Path(loader.model.__file__), *sources):
            digest.update(source.read_bytes())
        self.tag = digest.hexdigest()[:16]
        self._pruned = False

    def directory(self) -> Path | None:
        """Where entries go now (None when `$DETGRAPH_CACHE_DIR` is set empty: caching is off)."""
        root = os.environ.get("DETGRAPH_CACHE_DIR")
        if root is not None:
            return Path(root) / f"{self.name}-{self.tag}" if root else None
        try:
            base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        except RuntimeError:  # no home directory
            return None
        return base / "detgraph" / f"{self.name}-{self.tag}"

    def get_or_parse(self, query: str, parse: Callable[[str], QueryResult]) -> QueryResult:
        """The cached result for `query`, else `parse(query)` (stored); re-raises cached syntax errors."""
        directory = self.directory()
        if directory is None:
            return parse(query)
        path = directory / f"{hashlib.sha256(query.encode()).hexdigest()}.json"
        entry = self._read(path)
        if entry is not None and "error" in entry:
            raise QuerySyntaxError(entry["error"])
        if entry is not None:
            return _result_from_json(entry)
        try:
            result = parse(query)
        except QuerySyntaxError as error:
            self._write(path, {"error": error.message})
            raise
        self._write(path, _result_to_json(result))
        return result

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None

    def _write(self, path: Path, entry: dict[str, Any]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self._pruned:
                self._pruned = True
                for stale in path.parent.parent.glob(f"{self.name}-*"):
                    if stale != path.parent:
                        shutil.rmtree(stale, ignore_errors=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
                json.dump(entry, handle)
            os.replace(handle.name, path)
        except OSError:
            return


# predicates are stored as rows in `Predicate` field order (model.py is part of every cache tag)
_ROW = tuple(f.name for f in fields(Predicate))
_OPERATOR_AT, _MODIFIERS_AT, _SCOPE_AT = (_ROW.index(name) for name in ("operator", "modifiers", "scope"))
_OPERATORS = {str(o): o for o in Operator}
_SCOPES = {str(s): s for s in Scope}


def _result_to_json(result: QueryResult) -> dict[str, Any]:
    return {
        "predicates": [[getattr(p, name) for name in _ROW] for p in result.predicates],
        "logic": result.logic,
        "issues": result.issues,
        "sources": result.sources,
    }


def _predicate_from_row(row: list[Any]) -> Predicate:
    row[_OPERATOR_AT] = _OPERATORS[row[_OPERATOR_AT]]
    row[_MODIFIERS_AT] = tuple(row[_MODIFIERS_AT])
    row[_SCOPE_AT] = _SCOPES[row[_SCOPE_AT]]
    return Predicate(*row)


def _result_from_json(entry: dict[str, Any]) -> QueryResult:
    return QueryResult(
        predicates=[_predicate_from_row(row) for row in entry["predicates"]],
        logic=entry["logic"],
        issues=entry["issues"],
        sources=entry["sources"],
    )


# --- EQL -----------------------------------------------------------------------------------------

_CACHE = QueryCache("eql", (eql.__version__, lark.__version__), (Path(__file__),))
_FIELD_NOISE = re.compile(r"[`\s]")
# boolean functions `fn(field, value, ...)`
_FUNCTIONS = {
    "startswith": Operator.STARTSWITH,
    "endswith": Operator.ENDSWITH,
    "stringcontains": Operator.CONTAINS,
    "wildcard": Operator.WILDCARD,
    "cidrmatch": Operator.CIDR,
    "match": Operator.REGEX_MATCH,
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


class _ToLogic(Transformer):
    """Callbacks named after `eql.g` rules, run inline by the LALR parser (no parse tree is built)."""

    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
        if data.startswith("_"):  # lark's own helper rules, expanded into their parent
            return super().__default__(data, children, meta)
        return Opaque(" ".join(text_of(c) for c in children))

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
        return Field(_FIELD_NOISE.sub("", text.lstrip("?")), text, optional=text.startswith("?"))

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
        return values_test(field, values, operator_of, op, text)

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
    try:
        parsed = _parser().parse(query if query.endswith("\n") else query + "\n")
    except LarkError as error:
        raise syntax_error("EQL", error) from None
    if not isinstance(parsed, _Query):
        return QueryResult(issues=["query has pipes only: no event selection"])
    return _result(parsed)


def parse_eql(query: str) -> QueryResult:
    """Parse one EQL query into predicates and logic; raise `QuerySyntaxError` when it is not EQL."""
    return _CACHE.get_or_parse(query, _parse)
