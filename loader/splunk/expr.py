"""SPL filter expressions -> `loader.logic` trees, with the grammar in `spl.lark` (LALR).

The builders know SPL syntax only; a `Context` (the pipeline walker in `spl.py`) turns each atomic `Test`
into a leaf, knowing renames, lookups, aggregations and macros.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError

from graph_schema.errors import QuerySyntaxError
from loader.logic import And, Expr, Not, Or
from loader.model import Operator

__all__ = ["Test", "Context", "parse_search", "parse_where", "unquote"]

_CMP = {"=": Operator.EQ, "==": Operator.EQ, "!=": Operator.EQ, "<": Operator.LT, "<=": Operator.LTE,
        ">": Operator.GT, ">=": Operator.GTE}
_FLIP = {Operator.LT: Operator.GT, Operator.LTE: Operator.GTE, Operator.GT: Operator.LT,
         Operator.GTE: Operator.LTE}
_ESCAPE = re.compile(r'\\(["\\])')
_CIDR = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}/\d{1,2}$|^[0-9A-Fa-f:]+:[0-9A-Fa-f:]*/\d{1,3}$")


@dataclass(frozen=True, slots=True)
class Test:
    """One atomic comparison as the SPL writes it; `pos` is its offset in the parsed text."""

    field: str | None
    operator: Operator
    value: str | None
    pos: int
    negated: bool = False
    raw_value: str | None = None
    modifiers: tuple[str, ...] = ()
    relation: Operator | None = None  # FIELDREF: how `field` compares with the field `value` names


class Context(Protocol):
    """What the builders call back into: make leaves, take subsearches, note what they skip."""

    def leaf(self, test: Test) -> Expr | None:
        """The leaf (or small tree) for one test; None drops it (e.g. `earliest=-1h`)."""

    def subsearch_filter(self, text: str, pos: int) -> Expr | None:
        """The test a `[subsearch]` used as a search term stands for (`pos`: its offset in the parsed text)."""

    def issue(self, message: str) -> None:
        """Record a part of the expression that was not turned into predicates."""


def unquote(text: str) -> tuple[str, str | None]:
    """`(value, raw)`: quotes removed and `\\\\`/`\\"` unescaped; `raw` is the inner text when that changed it."""
    text = str(text)
    inner = text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" else text
    value = _ESCAPE.sub(r"\1", inner) if "\\" in inner else inner
    return value, (inner if value != inner else None)


def _combine(kind: type[And] | type[Or], children: list[Expr | None]) -> Expr | None:
    kept = [c for c in children if c is not None]
    if len(kept) > 1:
        return kind(tuple(kept))
    return kept[0] if kept else None


def _negate(child: Expr | None) -> Expr | None:
    return Not(child) if child is not None else None


class _SearchBuilder(Transformer):
    """`search` syntax: `field=value` (wildcards, CIDR), `field IN (...)`, keywords, NOT/OR/AND."""

    __visit_tokens__ = False

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    def search_expr(self, children: list) -> Expr | None:
        return children[0] if children else None

    def s_and(self, children: list) -> Expr | None:
        return _combine(And, children)

    def s_or(self, children: list) -> Expr | None:
        return _combine(Or, children)

    def s_empty(self, children: list) -> None:
        return None  # `()`, e.g. what an unknown macro left

    def s_neg(self, children: list) -> Expr | None:
        return _negate(children[0])

    def s_cmp(self, children: list) -> Expr | None:
        field_tok, cmp, value_tok = children
        value, raw = unquote(value_tok)
        op = _CMP[cmp]
        field = unquote(field_tok)[0]
        negated = cmp == "!="
        if op is Operator.EQ and value == "*":
            return self.ctx.leaf(Test(field, Operator.EXISTS, None, field_tok.start_pos, negated, value))
        if op is Operator.EQ:
            op = Operator.WILDCARD if "*" in value else Operator.CIDR if _CIDR.match(value) else op
        return self.ctx.leaf(Test(field, op, value, field_tok.start_pos, negated, raw))

    def s_in(self, children: list) -> Expr | None:
        field_tok, *items = children
        field = unquote(field_tok)[0]
        leaves = []
        for item in items:
            value, raw = unquote(item)
            op = Operator.WILDCARD if "*" in value else Operator.EQ
            leaves.append(self.ctx.leaf(Test(field, op, value, field_tok.start_pos, raw_value=raw)))
        return _combine(Or, leaves)

    def s_term(self, children: list, modifiers: tuple[str, ...] = ()) -> Expr | None:
        (tok,) = children
        value, raw = unquote(tok)
        if value == "*":
            return None  # matches every event
        return self.ctx.leaf(Test(None, Operator.MATCH, value, tok.start_pos, raw_value=raw, modifiers=modifiers))

    def s_term_exact(self, children: list) -> Expr | None:
        return self.s_term(children, ("term",))

    def s_term_cased(self, children: list) -> Expr | None:
        return self.s_term(children, ("cased",))

    def s_sub(self, children: list) -> Expr | None:
        (tok,) = children
        return self.ctx.subsearch_filter(str(tok)[1:-1], tok.start_pos + 1)


@dataclass(frozen=True, slots=True)
class _Operand:
    """A non-boolean `where` sub-expression: a field, a literal, a call or arithmetic, with its source span."""

    kind: str  # "field" | "literal" | "call" | "expr"
    value: str  # field name, literal value, or the text as written
    start: int
    end: int
    raw: str | None = None
    call: str | None = None
    args: tuple = ()


_NULL_TESTS = {"isnull": False, "isnotnull": True}


class _WhereBuilder(Transformer):
    """`where` (eval) syntax: comparisons, LIKE, IN, isnull/isnotnull/like/match/cidrmatch/searchmatch."""

    __visit_tokens__ = False

    def __init__(self, ctx: Context, text: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.text = text

    # -- operands
    def w_field(self, children: list) -> _Operand:
        (tok,) = children
        return _Operand("field", unquote(tok)[0], tok.start_pos, tok.end_pos)

    def w_str(self, children: list) -> _Operand:
        (tok,) = children
        value, raw = unquote(tok)
        return _Operand("literal", value, tok.start_pos, tok.end_pos, raw)

    def w_num(self, children: list) -> _Operand:
        (tok,) = children
        return _Operand("literal", str(tok), tok.start_pos, tok.end_pos)  # numbers as written

    def _span(self, children: list) -> tuple[int, int]:
        first, last = children[0], children[-1]
        start = first.start_pos if isinstance(first, Token) else first.start
        end = last.end_pos if isinstance(last, Token) else last.end
        return start, end

    def w_arith(self, children: list) -> _Operand:
        start, end = self._span(children)
        return _Operand("expr", self.text[start:end], start, end)

    def w_paren(self, children: list) -> _Operand | Expr | None:
        inner = children[1]
        if isinstance(inner, _Operand):
            start, end = self._span(children)
            return _Operand(inner.kind, inner.value if inner.kind != "expr" else self.text[start:end],
                            start, end, inner.raw, inner.call, inner.args)
        return inner

    def w_call(self, children: list) -> _Operand:
        name = children[0]
        args = tuple(c for c in children[2:-1] if c is not None)
        start, end = self._span(children)
        return _Operand("call", self.text[start:end], start, end, call=str(name).lower(), args=args)

    # -- conditions
    def where_expr(self, children: list) -> Expr | None:
        return self._condition(children[0])

    def w_and(self, children: list) -> Expr | None:
        return _combine(And, [self._condition(c) for c in children])

    def w_or(self, children: list) -> Expr | None:
        return _combine(Or, [self._condition(c) for c in children])

    def w_neg(self, children: list) -> Expr | None:
        return _negate(self._condition(children[0]))

    def w_cmp(self, children: list) -> Expr | None:
        left, cmp, right = children
        if not isinstance(left, _Operand) or not isinstance(right, _Operand):
            self.ctx.issue(f"where: comparison of conditions not supported: {cmp}")
            return None
        op = _CMP[cmp]
        if left.kind == "literal" and right.kind != "literal":
            left, right, op = right, left, _FLIP.get(op, op)
        if left.kind == "literal":
            return None  # constant comparison
        negated = cmp == "!="
        if right.kind == "literal":
            return self._leaf(left, op, right.value, negated, right.raw)
        if right.kind == "field":  # field against field: FIELDREF, the comparison (unless equality) as its relation
            relation = None if op is Operator.EQ else op
            return self._leaf(left, Operator.FIELDREF, right.value, negated, relation=relation)
        return self._leaf(left, op, right.value, negated, modifiers=("expression",))

    def w_like(self, children: list) -> Expr | None:
        left, pattern = children
        if not isinstance(left, _Operand) or not isinstance(pattern, _Operand) or pattern.kind != "literal":
            self.ctx.issue("where: LIKE with a non-literal pattern")
            return None
        return self._like(left, pattern)

    def w_in(self, children: list) -> Expr | None:
        left, _lpar, *items, _rpar = children
        if not isinstance(left, _Operand):
            self.ctx.issue("where: IN on a condition")
            return None
        return self._in(left, items)

    # -- helpers
    def _in(self, left: _Operand, items: list) -> Expr | None:
        leaves = []
        for item in items:
            if isinstance(item, _Operand) and item.kind == "literal":
                leaves.append(self._leaf(left, Operator.EQ, item.value, raw=item.raw))
            elif isinstance(item, _Operand) and item.kind == "field":
                leaves.append(self._leaf(left, Operator.FIELDREF, item.value))
        return _combine(Or, leaves)

    def _leaf(self, left: _Operand, op: Operator, value: str | None, negated: bool = False,
              raw: str | None = None, modifiers: tuple[str, ...] = (), relation: Operator | None = None) -> Expr | None:
        return self.ctx.leaf(Test(left.value, op, value, left.start, negated, raw, modifiers, relation))

    def _like(self, left: _Operand, pattern: _Operand) -> Expr | None:
        value = pattern.value.replace("%", "*")
        op = Operator.WILDCARD if "*" in value else Operator.EQ
        return self._leaf(left, op, value, raw=pattern.value if value != pattern.value else pattern.raw)

    def _condition(self, node: _Operand | Expr | None) -> Expr | None:
        """A boolean sub-expression: conditions pass through, boolean function calls become leaves."""
        if not isinstance(node, _Operand):
            return node
        args = [a for a in node.args if isinstance(a, _Operand)]
        if node.call in _NULL_TESTS and len(args) == 1:
            return self._leaf(args[0], Operator.IS_NULL, None, _NULL_TESTS[node.call])
        if node.call == "like" and len(args) == 2 and args[1].kind == "literal":
            return self._like(args[0], args[1])
        if node.call == "match" and len(args) == 2:
            modifiers = () if args[1].kind == "literal" else ("expression",)
            return self._leaf(args[0], Operator.REGEX_MATCH, args[1].value, raw=args[1].raw, modifiers=modifiers)
        if node.call == "cidrmatch" and len(args) == 2 and args[0].kind == "literal":
            return self._leaf(args[1], Operator.CIDR, args[0].value)
        if node.call == "searchmatch" and len(args) == 1 and args[0].kind == "literal":
            return self.ctx.leaf(Test(None, Operator.MATCH, args[0].value, node.start, raw_value=args[0].raw))
        if node.call == "in" and len(args) >= 2:
            return self._in(args[0], args[1:])
        if node.call in ("true", "false"):
            return None
        self.ctx.issue(f"where: not a recognised condition: {node.value[:80]}")
        return None


@cache
def _lark() -> Lark:
    grammar = Path(__file__).with_name("spl.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", start=["search_expr", "where_expr"])


def _parse(start: str, text: str) -> object:
    try:
        return _lark().parse(text, start=start)
    except LarkError as exc:
        pos = getattr(exc, "pos_in_stream", None)
        near = f" near {text[max(pos - 15, 0) : pos + 15]!r}" if isinstance(pos, int) and pos >= 0 else ""
        column = f" at column {exc.column}" if isinstance(getattr(exc, "column", None), int) else ""
        raise QuerySyntaxError(f"SPL {start.split('_')[0]} syntax error{column}{near}") from None


def parse_search(text: str, ctx: Context) -> Expr | None:
    """The tree of a `search`-syntax filter (raises `QuerySyntaxError`)."""
    return _SearchBuilder(ctx).transform(_parse("search_expr", text))


def parse_where(text: str, ctx: Context) -> Expr | None:
    """The tree of a `where`-syntax filter (raises `QuerySyntaxError`)."""
    return _WhereBuilder(ctx, text).transform(_parse("where_expr", text))
