"""Sigma `condition` strings -> `loader.logic` trees over the rule's named detections.

Grammar (Sigma spec, as pySigma reads it; precedence not > and > or):
    expr := term ("or" term)* ; term := factor ("and" factor)* ; factor := "not" factor | atom
    atom := "(" expr ")" | ("1" | "any" | "all") "of" (pattern | "them") | identifier
Patterns use `*`; `them` and patterns not starting with `_` skip `_`-prefixed detections.
A detection that is missing (or had nothing parsable) is dropped from the tree with an issue.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NoReturn

from graph_schema.errors import QuerySyntaxError
from loader.logic import And, Expr, Not, Or
from loader.sigma.detection import combine

__all__ = ["parse_condition"]

_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_QUANTIFIERS = {"1": Or, "any": Or, "all": And}


def parse_condition(text: str, detections: Mapping[str, Expr | None], issues: list[str]) -> Expr | None:
    """The tree of condition `text` (None when nothing of it is left); raises QuerySyntaxError if malformed."""
    head, pipe, aggregation = text.partition("|")
    if pipe:
        issues.append(
            f"aggregation '| {aggregation.strip()}' not parsed "
            "(deprecated Sigma pipe syntax, replaced by correlation rules)"
        )
    return _Parser(head, detections, issues).parse()


class _Parser:
    """Recursive descent over the condition's tokens."""

    def __init__(self, text: str, detections: Mapping[str, Expr | None], issues: list[str]) -> None:
        self.text = text
        self.tokens = _TOKEN.findall(text)
        self.pos = 0
        self.detections = detections
        self.issues = issues

    def parse(self) -> Expr | None:
        if not self.tokens:
            raise QuerySyntaxError(f"empty condition {self.text!r}")
        expr = self._or()
        if self.pos < len(self.tokens):
            self._fail(f"unexpected {self.tokens[self.pos]!r}")
        return expr

    def _peek(self) -> str | None:
        return self.tokens[self.pos].lower() if self.pos < len(self.tokens) else None

    def _next(self) -> str:
        if self.pos >= len(self.tokens):
            self._fail("unexpected end")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _fail(self, message: str) -> NoReturn:
        raise QuerySyntaxError(f"condition {self.text.strip()!r}: {message}")

    def _or(self) -> Expr | None:
        children = [self._and()]
        while self._peek() == "or":
            self.pos += 1
            children.append(self._and())
        return combine(Or, children)

    def _and(self) -> Expr | None:
        children = [self._not()]
        while self._peek() == "and":
            self.pos += 1
            children.append(self._not())
        return combine(And, children)

    def _not(self) -> Expr | None:
        if self._peek() == "not":
            self.pos += 1
            child = self._not()
            return Not(child) if child is not None else None
        return self._atom()

    def _atom(self) -> Expr | None:
        token = self._next()
        low = token.lower()
        if token == "(":
            expr = self._or()
            if self._next() != ")":
                self._fail("missing ')'")
            return expr
        if token == ")" or low in ("and", "or", "of"):
            self._fail(f"unexpected {token!r}")
        if self._peek() == "of":
            self.pos += 1
            return self._quantified(low, self._next())
        if token not in self.detections:
            self.issues.append(f"condition references unknown detection '{token}' (dropped)")
            return None
        return self.detections[token]

    def _quantified(self, quantifier: str, pattern: str) -> Expr | None:
        kind = _QUANTIFIERS.get(quantifier)
        if kind is None or pattern in ("(", ")"):
            self._fail(f"unsupported selector '{quantifier} of {pattern}'")
        if pattern.lower() == "them":
            names = [n for n in self.detections if not n.startswith("_")]
        else:
            regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")))
            names = [
                n
                for n in self.detections
                if regex.fullmatch(n) and (pattern.startswith("_") or not n.startswith("_"))
            ]
        if not names:
            self.issues.append(f"'{quantifier} of {pattern}' matches no detection (dropped)")
            return None
        return combine(kind, [self.detections[n] for n in names])

