"""Value and test builders shared by the EQL and ES|QL parsers.

Each parser's transformer turns values into `Field`, `Literal`, `Call` or `Opaque` and boolean terms
into `loader.logic` leaves via `comparison_test`, `values_test` and `as_condition`; what cannot become
predicates is a `Skip`, which `prune` drops and reports as an issue.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from lark import Transformer

from loader.logic import Expr, Leaf, Not, Or, flatten
from loader.model import Operator, Predicate

__all__ = [
    "Field",
    "Literal",
    "Call",
    "Opaque",
    "Skip",
    "TermTransformer",
    "WRAPPERS",
    "COMPARISONS",
    "text_of",
    "decode_string",
    "glob_operator",
    "field_of",
    "make_leaf",
    "any_of",
    "NO_FIELDS",
    "field_relation",
    "values_test",
    "comparison_test",
    "function_test",
    "as_condition",
    "prune",
    "flatten_group",
]


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


class TermTransformer(Transformer):
    """A lark transformer whose rules without a callback of their own become `Opaque` values."""

    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
        if data.startswith("_"):  # lark's own helper rules, expanded into their parent
            return super().__default__(data, children, meta)
        return Opaque(" ".join(text_of(c) for c in children))


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
    relation: Operator | None = None,
) -> Leaf:
    """One predicate on `field`; a `Field` value makes it FIELDREF (value = the other field's name), compared
    by `relation` (None: equality) and with the other field's wrappers as `rhs:<name>` modifiers."""
    rhs: tuple[str, ...] = ()
    if isinstance(value, Field):
        operator, text, raw = Operator.FIELDREF, value.name, None
        rhs = tuple(f"rhs:{w}" for w in value.wrappers)
    else:
        text = value.value if value else None
        raw = value.text if value and value.text != text else None
        relation = None
    modifiers = (
        *((modifier,) if modifier else ()), *field.wrappers, *(("optional",) if field.optional else ()), *rhs
    )
    return Leaf(
        Predicate(field.name, operator, text, negated=negated, raw_value=raw, modifiers=modifiers, relation=relation)
    )


def any_of(nodes: list[Any]) -> Any:
    """OR of `nodes` (the node itself when there is one)."""
    return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))


NO_FIELDS = object()
"""`values_test(on_field=NO_FIELDS)`: the test has no meaning against a field (a pattern, a network)."""

_RELATIONS = frozenset({Operator.STARTSWITH, Operator.ENDSWITH, Operator.CONTAINS})


def field_relation(operator: Operator) -> Operator | None | object:
    """What a function testing `operator` means when its value is a field: equality (None), a FIELDREF
    relation (startswith, endswith, contains), or nothing (`NO_FIELDS`: a field as pattern or network)."""
    if operator is Operator.EQ:
        return None
    return operator if operator in _RELATIONS else NO_FIELDS


def values_test(
    field: Field,
    values: Iterable[Any],
    operator_of: Callable[[str], Operator],
    modifier: str | None,
    text: str,
    on_field: Operator | None | object = None,
) -> Any:
    """One predicate per literal (or field) in `values`, OR-ed; anything else becomes a `Skip`.

    A field in `values` makes a FIELDREF predicate with relation `on_field` (None: equality), or a `Skip`
    when `on_field` is `NO_FIELDS`.
    """
    leaves: list[Any] = []
    for value in values:
        other = field_of(value)
        if isinstance(value, Literal) and value.value is not None:
            leaves.append(make_leaf(field, operator_of(value.value), value, modifier=modifier))
        elif other is not None and on_field is not NO_FIELDS:
            relation = on_field if isinstance(on_field, Operator) else None
            leaves.append(make_leaf(field, Operator.FIELDREF, other, modifier=modifier, relation=relation))
        elif other is not None:
            leaves.append(Skip(text, f"`{text_of(value)}` is a field, not a pattern"))
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
    if other is not None:  # field against field: FIELDREF, the comparison (unless equality) as its relation
        relation = None if equality else COMPARISONS[op]
        return make_leaf(field, Operator.FIELDREF, other, negated=op == "!=", relation=relation)
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
    return values_test(field, call.args[1:], operator_of, call.name.lower(), call.text, field_relation(operator))


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
