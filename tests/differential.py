"""Our parses and the reference parsers' (pySigma, eql) reduced to one vocabulary, for differential tests.

Both sides of a rule become the same kind of tree: `("and" | "or", children)` (nested same-kind nodes
flattened, children sorted: and/or are commutative), `("not", (child,))`, sequences and samples as
ordered steps, and `Term` leaves. A `Term` is one comparison in a small vocabulary both parsers can say:

* Sigma strings (plain, `contains`, `startswith`, `endswith`, wildcards, keywords) are one **glob**, as
  pySigma's `SigmaString` is: literal `\\`, `*`, `?` escaped with a backslash, runs of `*` collapsed.
  `contains` is `*x*` (pySigma adds no `*` where one is), so the glob is what is compared, not the
  operator name: pySigma has no other notion of "contains".
* Modifier chains are compared as written, each name canonicalised through pySigma's `modifier_mapping`
  (`i` and `ignorecase` are one modifier class). For encoding modifiers (`base64`, `base64offset`,
  `wide`, `utf16*`, `windash`) pySigma's value is the encoded text (or a `SigmaExpansion` of variants);
  we keep the author's text and the chain, so the reference value is pySigma's result of the chain
  *without* its encodings, applied to the author's text — the encoding is compared through the chain.
  Likewise a regex with anchors (`|re|contains`): pySigma rewrites it (`.*x.*`), we keep the author's
  regex and the chain, so the reference regex is pySigma's without the anchors.
* EQL: `==` is `eq` (exact), `:` / `like` / `wildcard()` are `glob`, `in` is one `eq` per value, string
  functions keep their names, `regex`/`match()`/`matchLite()` are `regex`, `!=` is `not eq`. Left-side
  value functions (`length`, `string`, `number`) are kept in `modifiers`, right-side ones as `rhs:<name>`.

Deliberate differences, encoded here:

* Numeric-looking values compare as numbers (`1.0` equals `1`): pySigma reads an unquoted `1.0` as the
  number 1, we keep the text as written (`Version: 1.0` is "1.0", see docs/operators.md).

Deliberate limits of the comparison, each because the reference parser does not record the thing:

* EQL case-insensitivity (`~`, `in~`, `like~`) and `?optional` fields: `eql`'s AST drops both.
* EQL `:` against `like`: both are `wildcard()` in `eql`'s AST (both are `glob` here).
* EQL terms neither side can interpret (arithmetic, `substring()`...): dropped from the reference tree
  the way our parser drops them; the number dropped is compared with the number of our "skipped" issues.
"""
from __future__ import annotations

import copy
import ipaddress
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import eql
import eql.ast as eql_ast
import eql.parser
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.modifiers import modifier_mapping, reverse_modifier_mapping
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

from loader.model import Operator, Predicate, QueryResult, Rule, Scope

__all__ = [
    "Term",
    "Tree",
    "difference",
    "render",
    "sigma_reference",
    "sigma_ours",
    "eql_reference",
    "eql_ours",
    "EQL_OPTIONS",
]

Tree = tuple[Any, ...]
"""A reduced parse: ("term", Term), ("not", (t,)), ("and" | "or", ts), ("step", by, t), ("sample", steps),
("sequence" | "join", steps, maxspan, until step)."""


@dataclass(frozen=True, slots=True)
class Term:
    """One comparison in the shared vocabulary (see the module doc)."""

    field: str | None
    kind: str  # glob, eq, re/regex, cidr, gt, gte, lt, lte, exists, null, fieldref, startswith, ...
    value: str | None
    relation: str | None = None  # fieldref only: None (equal), startswith, endswith, contains, gt ...
    modifiers: tuple[str, ...] = ()

    def __str__(self) -> str:
        relation = f"[{self.relation}]" if self.relation else ""
        mods = f" |{'|'.join(self.modifiers)}" if self.modifiers else ""
        return f"{self.field} {self.kind}{relation} {self.value!r}{mods}"


# -- trees -----------------------------------------------------------------------------------------


def _node(kind: str, children: Iterable[Tree | None]) -> Tree | None:
    """An and/or node: None children dropped, same-kind children merged, sorted; one child is itself."""
    flat: list[Tree] = []
    for child in children:
        if child is None:
            continue
        if child[0] == kind:
            flat.extend(child[1])
        else:
            flat.append(child)
    if not flat:
        return None
    if len(flat) == 1:
        return flat[0]
    return (kind, tuple(sorted(flat, key=repr)))


def _not(child: Tree | None) -> Tree | None:
    return None if child is None else ("not", (child,))


def _leaf(term: Term, negated: bool = False) -> Tree:
    leaf: Tree = ("term", term)
    return ("not", (leaf,)) if negated else leaf


def _children(tree: Tree) -> tuple[Tree | None, ...]:
    """The sub-trees of a node (steps of a sequence, its `until`, the tree of a step...)."""
    kind = tree[0]
    if kind in ("and", "or", "not"):
        return tree[1]
    if kind in ("step", "broken"):
        return (tree[2],)
    if kind == "sample":
        return tree[1]
    if kind in ("sequence", "join"):
        return (*tree[1], tree[3])
    return ()


def _terms(tree: Tree | None) -> Iterator[Tree]:
    """Every leaf of `tree`, with its own `not` when it has one (so `!=` and `==` stay apart)."""
    if tree is None:
        return
    if tree[0] == "term" or (tree[0] == "not" and tree[1][0][0] == "term"):
        yield tree
        return
    for child in _children(tree):
        yield from _terms(child)


def render(tree: Tree | None) -> str:
    """A compact one-line form of `tree` for failure reports."""
    if tree is None:
        return "true"
    kind = tree[0]
    if kind == "term":
        return str(tree[1])
    if kind == "step":
        return f"[{render(tree[2])}]" + (f" by {','.join(tree[1])}" if tree[1] else "")
    if kind == "broken":
        return f"broken({tree[1][0]}: {render(tree[2])})"
    if kind in ("sequence", "join"):
        until = f" until {render(tree[3])}" if tree[3] else ""
        return f"{kind}({', '.join(map(render, tree[1]))}) maxspan={tree[2]}{until}"
    return f"{kind}({', '.join(map(render, _children(tree)))})"


def difference(ours: Tree | None, reference: Tree | None) -> str | None:
    """None when the trees are equal, else what differs: the terms only one side has, or the tree shapes."""
    if ours == reference:
        return None
    mine, theirs = Counter(map(render, _terms(ours))), Counter(map(render, _terms(reference)))
    only_ours, only_theirs = mine - theirs, theirs - mine
    if only_ours or only_theirs:
        parts = []
        if only_ours:
            parts.append("only ours: " + "; ".join(sorted(only_ours.elements())))
        if only_theirs:
            parts.append("only reference: " + "; ".join(sorted(only_theirs.elements())))
        return " | ".join(parts)
    return f"same terms, different tree: ours {render(ours)} | reference {render(reference)}"


# -- globs (Sigma strings) -------------------------------------------------------------------------

_STAR, _ONE = object(), object()
_ENCODINGS = frozenset(
    modifier_mapping[m] for m in ("base64", "base64offset", "wide", "utf16", "utf16be", "windash")
)
_REGEX = modifier_mapping["re"]
_ANCHORS = frozenset(modifier_mapping[m] for m in ("contains", "startswith", "endswith"))
_CANONICAL = {cls: name for name, cls in reversed(list(modifier_mapping.items()))}  # first name of each class


def _modifier_name(name: str) -> str:
    cls = modifier_mapping.get(name)
    return _CANONICAL[cls] if cls is not None else name


def _glob(tokens: Iterable[object]) -> str:
    """Render glob tokens (characters, `_STAR`, `_ONE`): literal `\\ * ?` escaped, runs of `*` collapsed."""
    out: list[str] = []
    previous: object = None
    for token in tokens:
        if token is _STAR:
            if previous is not _STAR:
                out.append("*")
        elif token is _ONE:
            out.append("?")
        else:
            out.append("\\" + token if token in "\\*?" else token)  # type: ignore[operator]
        previous = token
    return "".join(out)


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _value(glob: str) -> str:
    """A glob, numeric-looking ones as the number they read as (`1.0` and `1` are one value)."""
    if not _NUMBER.fullmatch(glob):
        return glob
    number = float(glob)
    return str(int(number)) if number.is_integer() else repr(number)


def _sigma_text_tokens(text: str) -> list[object]:
    """Sigma string syntax read independently of both parsers: `\\*`, `\\?`, `\\\\` escape, other `\\` is literal."""
    tokens: list[object] = []
    escaped = False
    for c in text:
        if escaped:
            if c not in "*?\\":
                tokens.append("\\")
            tokens.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == "*":
            tokens.append(_STAR)
        elif c == "?":
            tokens.append(_ONE)
        else:
            tokens.append(c)
    if escaped:
        tokens.append("\\")
    return tokens


def _sigma_string_tokens(value: SigmaString) -> list[object]:
    tokens: list[object] = []
    for part in value.s:
        if isinstance(part, str):
            tokens.extend(part)
        elif part is SpecialChars.WILDCARD_MULTI:
            tokens.append(_STAR)
        elif part is SpecialChars.WILDCARD_SINGLE:
            tokens.append(_ONE)
        elif isinstance(part, Placeholder):
            tokens.extend(f"%{part.name}%")
    return tokens


# -- Sigma: pySigma's side -------------------------------------------------------------------------

_COMPARE = {CompareOperators.LT: "lt", CompareOperators.LTE: "lte", CompareOperators.GT: "gt",
            CompareOperators.GTE: "gte"}


def _relation(starts_with: bool, ends_with: bool) -> str | None:
    if starts_with and ends_with:
        return "contains"
    return "startswith" if starts_with else "endswith" if ends_with else None


def _reference_value(value: Any) -> tuple[str, str | None, str | None]:
    """(kind, value, relation) of one pySigma value after its modifiers."""
    if isinstance(value, SigmaString):
        return "glob", _value(_glob(_sigma_string_tokens(value))), None
    if isinstance(value, SigmaBool):
        return "glob", "true" if value.boolean else "false", None
    if isinstance(value, SigmaNumber):  # also SigmaTimestampPart (the part is a modifier)
        return "glob", _value(str(value.number)), None
    if isinstance(value, SigmaNull):
        return "null", None, None
    if isinstance(value, SigmaExists):
        return "exists", "true" if value.exists else "false", None
    if isinstance(value, SigmaRegularExpression):
        return "re", value.regexp.to_plain(regex=True), None
    if isinstance(value, SigmaCIDRExpression):
        return "cidr", str(value.network), None
    if isinstance(value, SigmaCompareExpression):
        return _COMPARE.get(value.op, str(value.op)), _value(str(value.number.number)), None
    if isinstance(value, SigmaFieldReference):
        return "fieldref", value.field, _relation(value.starts_with, value.ends_with)
    return type(value).__name__, str(value), None


def _items(detection: SigmaDetection) -> Iterator[SigmaDetectionItem]:
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            yield from _items(item)
        else:
            yield item


def _reference_term(item: SigmaDetectionItem, index: int, value: Any) -> Term:
    modifiers = tuple(_modifier_name(reverse_modifier_mapping[m.__name__]) for m in item.modifiers)
    dropped = _ENCODINGS | (_ANCHORS if _REGEX in item.modifiers else frozenset())
    if dropped.intersection(item.modifiers) and item.original_value is not None:
        plain = [m for m in item.modifiers if m not in dropped]
        value = SigmaDetectionItem(item.field, plain, [copy.deepcopy(item.original_value[index])]).value[0]
    kind, text, relation = _reference_value(value)
    return Term(item.field, kind, text, relation, modifiers)


def sigma_reference(rule: SigmaRule) -> Tree | None:
    """pySigma's condition trees of `rule` (OR-ed when there are several), in the shared vocabulary."""
    index: dict[int, tuple[SigmaDetectionItem, int]] = {}
    for detection in rule.detection.detections.values():
        for item in _items(detection):
            for i, value in enumerate(item.value):
                index[id(value)] = (item, i)

    def walk(node: Any) -> Tree | None:
        if isinstance(node, ConditionAND | ConditionOR):
            return _node("and" if isinstance(node, ConditionAND) else "or", [walk(a) for a in node.args])
        if isinstance(node, ConditionNOT):
            return _not(walk(node.args[0]))
        if isinstance(node, ConditionFieldEqualsValueExpression | ConditionValueExpression):
            found = index.get(id(node.value))
            if found is None:  # an item without values: pySigma makes a fresh SigmaNull
                item = next(p for p in node.parent_chain() if isinstance(p, SigmaDetectionItem))
                return _leaf(_reference_term(item, 0, node.value))
            return _leaf(_reference_term(found[0], found[1], node.value))
        raise TypeError(f"unexpected pySigma condition node {node!r}")

    return _node("or", [walk(c.parsed) for c in rule.detection.parsed_condition])


# -- Sigma: our side -------------------------------------------------------------------------------

_ANCHORED = {Operator.CONTAINS: (True, True), Operator.STARTSWITH: (False, True), Operator.ENDSWITH: (True, False)}
_GLOBBED = frozenset({Operator.EQ, Operator.WILDCARD, Operator.MATCH, *_ANCHORED})
_RELATIONS = {None: None, Operator.STARTSWITH: "startswith", Operator.ENDSWITH: "endswith",
              Operator.CONTAINS: "contains", Operator.GT: "gt", Operator.GTE: "gte", Operator.LT: "lt",
              Operator.LTE: "lte"}


def _our_glob(p: Predicate) -> tuple[str, str]:
    """(kind, glob) of a string predicate; kind flags an operator its value contradicts."""
    kind = "glob"
    if p.raw_value is not None:  # unescaped: `value` is literal text, `raw_value` the Sigma text
        tokens: list[object] = list(p.value or "")
        if _sigma_text_tokens(p.raw_value) != tokens:
            kind = "glob(raw_value does not unescape to value)"
    else:
        tokens = _sigma_text_tokens(p.value or "")
    wild = any(t is _STAR or t is _ONE for t in tokens)
    if p.operator is Operator.EQ and wild:
        kind = "glob(eq with wildcards)"
    elif p.operator is Operator.WILDCARD and not wild:
        kind = "glob(wildcard without wildcards)"
    if p.operator is Operator.MATCH:  # keywords: the anchors are in the modifiers
        mods = set(p.modifiers)
        head = bool(mods & {"contains", "endswith"})
        tail = bool(mods & {"contains", "startswith"})
    else:
        head, tail = _ANCHORED.get(p.operator, (False, False))
    return kind, _value(_glob([*([_STAR] if head else []), *tokens, *([_STAR] if tail else [])]))


def _sigma_term(p: Predicate, negated: bool) -> Tree:
    """One of our Sigma predicates in the shared vocabulary; `negated`: its own negation, beyond `not`s."""
    mods = tuple(_modifier_name(m) for m in p.modifiers)
    relation = None
    if p.operator in _GLOBBED:
        kind, value = _our_glob(p)
    elif p.operator is Operator.EXISTS:
        kind, value, negated = "exists", "false" if negated else "true", False
    elif p.operator is Operator.IS_NULL:
        kind, value = "null", None
    elif p.operator is Operator.REGEX_MATCH:
        kind, value = "re", p.value
    elif p.operator is Operator.CIDR:
        kind, value = "cidr", str(ipaddress.ip_network(p.value or "", strict=False))
    elif p.operator is Operator.FIELDREF:
        kind, value, relation = "fieldref", p.value, _RELATIONS.get(p.relation, str(p.relation))
    else:  # gt, gte, lt, lte
        kind, value = str(p.operator), _value(p.value or "")
    return _leaf(Term(p.field, kind, value, relation, mods), negated)


def _walk_ours(
    logic: Mapping[str, Any] | None,
    predicates: list[Predicate],
    term: Any,
    seen: list[int],
    parity: bool = False,
) -> Tree | None:
    if logic is None:
        return None
    if "p" in logic:
        p = predicates[logic["p"]]
        seen.append(logic["p"])
        return term(p, p.negated != parity)
    if "not" in logic:
        return _not(_walk_ours(logic["not"], predicates, term, seen, not parity))
    kind = "and" if "and" in logic else "or"
    return _node(kind, [_walk_ours(c, predicates, term, seen, parity) for c in logic[kind]])


def _indexed(tree: Tree | None, seen: list[int], count: int) -> Tree | None:
    """`tree`, or a tree that cannot equal any reference when the logic does not use each predicate once."""
    if sorted(seen) == list(range(count)):
        return tree
    return ("broken", (f"logic uses predicates {sorted(seen)} of {count}",), tree)


def sigma_ours(rule: Rule) -> Tree | None:
    """Our parse of a Sigma rule (`rule.logic` over `rule.predicates`) in the shared vocabulary."""
    seen: list[int] = []
    tree = _walk_ours(rule.logic, rule.predicates, _sigma_term, seen)
    return _indexed(tree, seen, len(rule.predicates))


# -- EQL: the eql package's side -------------------------------------------------------------------

EQL_OPTIONS = tuple(
    getattr(eql.parser, name)
    for name in ("elasticsearch_syntax", "ignore_missing_functions", "allow_runs", "allow_sample",
                 "allow_negation", "skip_optimizations")
    if hasattr(eql.parser, name)
)
"""The `eql.parser` settings the Elastic corpus needs (those the installed `eql` has), optimiser off."""

_EQL_VALUE_FUNCTIONS = frozenset({"length", "string", "number"})  # one-argument value functions
_EQL_BOOLEAN_FUNCTIONS = {
    "wildcard": "glob",
    "startswith": "startswith",
    "endswith": "endswith",
    "stringcontains": "contains",
    "cidrmatch": "cidr",
    "match": "regex",
    "matchlite": "regex",
    "arraycontains": "eq",
}
_EQL_COMPARE = {"==": "eq", "!=": "eq", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_EQL_MIRROR = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class _Skip(Exception):
    """A term the vocabulary has no word for."""


def _eql_field(node: Any) -> tuple[str, tuple[str, ...]] | None:
    """(field name, value functions around it, outermost first) or None when `node` reads no field."""
    if isinstance(node, eql_ast.Field):
        name = node.base
        for part in node.path:
            name += f"[{part}]" if isinstance(part, int) else f".{part}"
        return name, ()
    if (
        isinstance(node, eql_ast.FunctionCall)
        and node.name.lower() in _EQL_VALUE_FUNCTIONS
        and len(node.arguments) == 1
    ):
        inner = _eql_field(node.arguments[0])
        return inner and (inner[0], (node.name.lower(), *inner[1]))
    return None


def _eql_literal(node: Any) -> str | None:
    if isinstance(node, eql_ast.String):
        return node.value
    if isinstance(node, eql_ast.Boolean):
        return "true" if node.value else "false"
    if isinstance(node, eql_ast.Number):
        return str(node.value)
    if (  # eql reads `-1` as `0 - 1`
        isinstance(node, eql_ast.MathOperation)
        and node.operator == "-"
        and isinstance(node.left, eql_ast.Number)
        and node.left.value == 0
        and isinstance(node.right, eql_ast.Number)
    ):
        return f"-{node.right.value}"
    raise _Skip


def _eql_term(field: tuple[str, tuple[str, ...]], kind: str, value: Any) -> Tree:
    other = _eql_field(value)
    if other is not None:
        if kind not in ("eq", "startswith", "endswith", "contains", "lt", "lte", "gt", "gte"):
            raise _Skip  # a field as pattern / network
        mods = (*field[1], *(f"rhs:{w}" for w in other[1]))
        return _leaf(Term(field[0], "fieldref", other[0], None if kind == "eq" else kind, mods))
    return _leaf(Term(field[0], kind, _eql_literal(value), None, field[1]))


class _EqlReduction:
    """Walks one `eql` AST; counts the terms it has to drop."""

    def __init__(self) -> None:
        self.skipped = 0

    def expr(self, node: Any) -> Tree | None:
        try:
            return self._expr(node)
        except _Skip:
            self.skipped += 1
            return None

    def _expr(self, node: Any) -> Tree | None:
        if isinstance(node, eql_ast.And | eql_ast.Or):
            return _node("and" if isinstance(node, eql_ast.And) else "or", [self.expr(t) for t in node.terms])
        if isinstance(node, eql_ast.Not):
            return _not(self.expr(node.term))
        if isinstance(node, eql_ast.Boolean):
            if node.value:
                return None
            raise _Skip
        if isinstance(node, eql_ast.IsNull | eql_ast.IsNotNull):
            field = _eql_field(node.expr)
            if field is None:
                raise _Skip
            return _leaf(Term(field[0], "null", None, None, field[1]), isinstance(node, eql_ast.IsNotNull))
        if isinstance(node, eql_ast.Comparison):
            left, op, right = node.left, node.comparator, node.right
            if _eql_field(left) is None and _eql_field(right) is not None:
                left, op, right = right, _EQL_MIRROR[op], left
            field = _eql_field(left)
            if field is None:
                raise _Skip
            if isinstance(right, eql_ast.Null):
                if op not in ("==", "!="):
                    raise _Skip
                return _leaf(Term(field[0], "null", None, None, field[1]), op == "!=")
            term = _eql_term(field, _EQL_COMPARE[op], right)
            return _not(term) if op == "!=" else term
        if isinstance(node, eql_ast.InSet):
            field = _eql_field(node.expression)
            if field is None:
                raise _Skip
            return _node("or", [self._value(field, "eq", v) for v in node.container])
        if isinstance(node, eql_ast.FunctionCall):
            kind = _EQL_BOOLEAN_FUNCTIONS.get(node.name.lower())
            field = _eql_field(node.arguments[0]) if node.arguments else None
            if kind is None or field is None:
                raise _Skip
            return _node("or", [self._value(field, kind, v) for v in node.arguments[1:]])
        if isinstance(node, eql_ast.Field):
            field = _eql_field(node)
            assert field is not None
            return _leaf(Term(field[0], "eq", "true"))
        raise _Skip

    def _value(self, field: tuple[str, tuple[str, ...]], kind: str, value: Any) -> Tree | None:
        try:
            return _eql_term(field, kind, value)
        except _Skip:
            self.skipped += 1
            return None

    def event(self, query: Any) -> Tree | None:
        category = None
        if query.event_type != "any":
            category = _leaf(Term("event.category", "category", query.event_type))
        return _node("and", [category, self.expr(query.query)])

    def step(self, subquery: Any) -> Tree:
        by = tuple(_eql_field(v)[0] if _eql_field(v) else str(v) for v in subquery.join_values)
        tree = self.event(subquery.query)
        if subquery.data.get("is_negated"):
            tree = _not(tree)
        return ("step", by, tree)

    def query(self, node: Any) -> Tree | None:
        if isinstance(node, eql_ast.PipedQuery):
            node = node.first
        if isinstance(node, eql_ast.EventQuery):
            return self.event(node)
        steps = tuple(self.step(q) for q in node.queries)
        if isinstance(node, eql_ast.Sample):
            return ("sample", steps)
        span = getattr(node, "max_span", None)
        maxspan = f"{span.quantity}{getattr(span.unit, 'value', span.unit)}" if span is not None else None
        close = self.step(node.close) if node.close is not None else None
        kind = "sequence" if isinstance(node, eql_ast.Sequence) else "join"
        return (kind, steps, maxspan, close)


def eql_reference(query: str) -> tuple[Tree | None, int]:
    """The `eql` package's parse of `query` in the shared vocabulary, and how many terms it had to drop."""
    with _eql_settings():
        ast = eql.parse_query(query)
    reduction = _EqlReduction()
    tree = reduction.query(ast)
    return tree, reduction.skipped


class _eql_settings:  # noqa: N801  (used like the eql context managers it stacks)
    def __enter__(self) -> None:
        for option in EQL_OPTIONS:
            option.__enter__()

    def __exit__(self, *exc: object) -> None:
        for option in reversed(EQL_OPTIONS):
            option.__exit__(*exc)


# -- EQL: our side ---------------------------------------------------------------------------------

_GLOB_MODIFIERS = frozenset({":", "like", "like~", "wildcard"})
_EQL_KINDS = {
    Operator.WILDCARD: "glob",
    Operator.STARTSWITH: "startswith",
    Operator.ENDSWITH: "endswith",
    Operator.CONTAINS: "contains",
    Operator.CIDR: "cidr",
    Operator.REGEX_MATCH: "regex",
    Operator.GT: "gt",
    Operator.GTE: "gte",
    Operator.LT: "lt",
    Operator.LTE: "lte",
    Operator.IS_NULL: "null",
    Operator.FIELDREF: "fieldref",
}


def _eql_our_term(p: Predicate, negated: bool) -> Tree:
    if p.scope is Scope.EVENT_CATEGORY:
        return _leaf(Term(p.field, "category", p.value), negated)
    if p.operator is Operator.EQ:
        kind = "glob" if _GLOB_MODIFIERS.intersection(p.modifiers) else "eq"
    else:
        kind = _EQL_KINDS.get(p.operator, str(p.operator))
    mods = tuple(m for m in p.modifiers if m in _EQL_VALUE_FUNCTIONS or m.startswith("rhs:"))
    relation = _RELATIONS.get(p.relation, str(p.relation)) if p.operator is Operator.FIELDREF else None
    return _leaf(Term(p.field, kind, p.value, relation, mods), negated)


def eql_ours(result: QueryResult) -> tuple[Tree | None, int]:
    """Our parse of an EQL query in the shared vocabulary, and how many terms it skipped (its issues)."""
    seen: list[int] = []
    preds, logic = result.predicates, result.logic

    def tree(part: Mapping[str, Any] | None) -> Tree | None:
        return _walk_ours(part, preds, _eql_our_term, seen)

    skipped = sum(issue.startswith("skipped `") for issue in result.issues)
    if logic is None or not any(k in logic for k in ("sequence", "sample", "join")):
        return _indexed(tree(logic), seen, len(preds)), skipped
    kind = next(k for k in ("sequence", "sample", "join") if k in logic)
    by = logic.get("by", [])
    step_by = logic.get("step_by", [[] for _ in logic[kind]])
    runs = logic.get("runs", [1] * len(logic[kind]))
    steps: list[Tree] = []
    for part, own_by, count in zip(logic[kind], step_by, runs, strict=True):
        step = ("step", (*by, *own_by), tree(part))
        steps.extend([step] * count)
    if kind == "sample":
        return _indexed(("sample", tuple(steps)), seen, len(preds)), skipped
    close = None
    if "until" in logic:
        close = ("step", (*by, *logic.get("until_by", [])), tree(logic["until"]))
    return _indexed((kind, tuple(steps), logic.get("maxspan"), close), seen, len(preds)), skipped
