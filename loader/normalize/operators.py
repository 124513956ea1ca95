"""Where a vendor construct becomes a canonical comparison: one function per vendor (docs/operators.md).

Each reads a parsed `Predicate` in its vendor's terms — which values are globs and how they escape, which
matches ignore case, which modifiers change what is matched (encodings, value functions) — and returns
a `Comparison` in the closed canonical vocabulary (`CANONICAL_OPERATORS`). String tests stay a `Glob`
until `loader.normalize.indicator` classifies them, so that `*\\x` and `endswith \\x` are one test.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from loader.model import Operator, Predicate, Rule, Scope
from loader.normalize.values import Glob, glob_of, literal_glob, wrap

__all__ = ["CANONICAL_OPERATORS", "Comparison", "comparison", "COMPARISONS", "SIGMA_ENCODINGS"]

CANONICAL_OPERATORS = ("eq", "wildcard", "contains", "startswith", "endswith", "regex_match", "cidr",
                       "gt", "gte", "lt", "lte", "exists", "match", "fieldref")
"""The closed operator vocabulary of canonical indicators."""

SIGMA_ENCODINGS = ("base64", "base64offset", "utf16", "utf16le", "utf16be", "wide", "windash")
"""Sigma modifiers that change the bytes matched: part of the indicator's identity, in the order written."""
SIGMA_TIME_PARTS = ("minute", "hour", "day", "week", "month", "year")
VALUE_FUNCTIONS = ("length", "url_decode", "from_base64", "mv_first", "mv_last", "mv_min", "mv_max",
                   "cardinality")
"""Functions around a field (EQL, ES|QL, Elastic thresholds) that test something else than its value."""

_STRING_OPS = {Operator.EQ: (False, False), Operator.CONTAINS: (True, True), Operator.STARTSWITH: (False, True),
               Operator.ENDSWITH: (True, False), Operator.WILDCARD: (False, False)}
_SIMPLE = {Operator.REGEX_MATCH: "regex_match", Operator.GT: "gt", Operator.GTE: "gte", Operator.LT: "lt",
           Operator.LTE: "lte", Operator.EXISTS: "exists", Operator.MATCH: "match", Operator.FIELDREF: "fieldref",
           Operator.CIDR: "cidr"}
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_PLACEHOLDER = re.compile(r"%([^%\s]+)%")


@dataclass(frozen=True, slots=True)
class Comparison:
    """A predicate in canonical terms, before its field is mapped and its glob classified."""

    operator: str  # canonical; "string" while `glob` still has to be classified
    value: str | None = None
    glob: Glob | None = None
    caseless: bool = False  # the vendor matches case-insensitively: the value is case-folded
    qualifiers: tuple[str, ...] = ()  # encodings, value functions, a fieldref's relation, an external list
    negate: bool = False  # flip the predicate's negation (`field: null` is `not exists`)


def _string(p: Predicate, glob: Glob, caseless: bool, qualifiers: tuple[str, ...]) -> Comparison:
    start, end = _STRING_OPS[p.operator]
    return Comparison("string", glob=wrap(glob, start=start, end=end), caseless=caseless, qualifiers=qualifiers)


def _cidr(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_network((value or "").strip(), strict=False))
    except ValueError:
        return value


def _number(value: str | None) -> str | None:
    text = (value or "").strip()
    if _NUMBER.fullmatch(text):
        number = float(text)
        return str(int(number)) if number.is_integer() else repr(number)
    return value


def _common(p: Predicate, qualifiers: tuple[str, ...], caseless: bool) -> Comparison | None:
    """The canonical form of the operators every vendor means the same way (None: a string test)."""
    op = p.operator
    if op is Operator.IS_NULL:
        return Comparison("exists", qualifiers=qualifiers, negate=True)
    if op is Operator.LOOKUP:  # an external value list (Splunk lookup): eq against the named list
        return Comparison("eq", p.value, qualifiers=(*qualifiers, "list"))
    if op is Operator.CIDR:
        return Comparison("cidr", _cidr(p.value), qualifiers=qualifiers)
    if op in (Operator.GT, Operator.GTE, Operator.LT, Operator.LTE):
        return Comparison(_SIMPLE[op], _number(p.value), qualifiers=qualifiers)
    if op is Operator.EXISTS:
        return Comparison("exists", qualifiers=qualifiers)
    if op is Operator.REGEX_MATCH:  # never case-folded (`\D` is not `\d`); case-insensitivity is a qualifier
        return Comparison("regex_match", p.value, qualifiers=(*qualifiers, *(("i",) if caseless else ())))
    if op is Operator.FIELDREF:
        relation = p.relation.value if p.relation is not None else None
        return Comparison("fieldref", p.value, qualifiers=(*qualifiers, *((relation,) if relation else ())))
    if op is Operator.MATCH:
        value = p.value.lower() if caseless and p.value else p.value
        return Comparison("match", value.strip("*") if value else value, qualifiers=qualifiers)
    return None


def sigma_comparison(p: Predicate, rule: Rule) -> Comparison:
    """Sigma: case-insensitive unless `|cased`; regexes case-sensitive unless `|i`; encodings qualify."""
    mods = p.modifiers
    qualifiers = tuple(m for m in mods if m in SIGMA_ENCODINGS or m in SIGMA_TIME_PARTS)
    if "expand" in mods and p.value and (m := _PLACEHOLDER.fullmatch(p.value)):
        return Comparison("eq", m.group(1).lower(), qualifiers=(*qualifiers, "list"))
    caseless = "cased" not in mods
    if p.operator is Operator.REGEX_MATCH:
        caseless = "i" in mods or "ignorecase" in mods
    common = _common(p, qualifiers, caseless)
    if common is not None:
        return common
    value = p.value or ""
    # a value the loader unescaped (raw_value set) is literal; otherwise `*`/`?` are wildcards and `\\` escapes
    glob = literal_glob(value) if p.raw_value is not None else glob_of(value, escapes="*?\\")
    return _string(p, glob, caseless, qualifiers)


_EQL_CASELESS = frozenset({":", "in~", "like~", "regex~", "startswith~", "endswith~", "stringcontains~",
                           "wildcard~", "case_insensitive", "to_lower", "to_upper", "match"})


def elastic_comparison(p: Predicate, rule: Rule, text_field: bool = False) -> Comparison:
    """Elastic: KQL / Lucene match keyword fields case-sensitively (text fields and `case_insensitive`
    filters not); EQL `:` and the `~` forms ignore case, `==`, `in`, `like` do not; ES|QL is case-sensitive
    unless the field is wrapped in TO_LOWER / TO_UPPER."""
    mods = p.modifiers
    qualifiers = tuple(m for m in mods if m in VALUE_FUNCTIONS)
    language = rule.language or ""
    caseless = any(m in _EQL_CASELESS for m in mods) or (language in ("kuery", "lucene") and text_field)
    if language in ("kuery", "lucene") and p.operator is Operator.MATCH:
        caseless = True  # free text is analysed
    common = _common(p, qualifiers, caseless)
    if common is not None:
        return common
    value = p.value or ""
    if p.operator is Operator.WILDCARD:
        if language in ("kuery", "lucene"):
            glob = glob_of(p.raw_value or value, escapes="any")
        elif language == "esql":
            glob = glob_of(value, escapes="*?\\")
        else:
            glob = glob_of(value)
    else:
        glob = literal_glob(value)
    return _string(p, glob, caseless, qualifiers)


def _splunk_command(p: Predicate) -> str:
    """The SPL command a predicate came from (`where[3]` -> `where`; subsearch groups end in the command)."""
    return (p.group or "search").rsplit("/", 1)[-1].split("[", 1)[0]


def splunk_comparison(p: Predicate, rule: Rule) -> Comparison:
    """Splunk: `search` / `tstats` terms ignore case, `where` comparisons and `regex` do not; `*` is the only
    wildcard and has no escape; a lookup is an external value list."""
    command = _splunk_command(p)
    caseless = command not in ("where", "regex") and "cased" not in p.modifiers
    qualifiers = tuple(m for m in p.modifiers if m == "expression")
    if p.operator is Operator.REGEX_MATCH:
        caseless = False
    common = _common(p, qualifiers, caseless)
    if common is not None:
        return common
    value = p.value or ""
    glob = glob_of(value, question=False) if p.operator is Operator.WILDCARD else literal_glob(value)
    return _string(p, glob, caseless, qualifiers)


COMPARISONS: dict[str, Callable[..., Comparison]] = {
    "sigma": sigma_comparison, "elastic": elastic_comparison, "splunk": splunk_comparison,
}
"""The one vendor -> canonical operator function of each vendor."""


def comparison(p: Predicate, rule: Rule, *, text_field: bool = False) -> Comparison:
    """`p` of `rule` as a canonical comparison (`text_field`: the Elastic field is analysed text)."""
    if p.scope is Scope.THRESHOLD and p.operator in (Operator.GT, Operator.GTE, Operator.LT, Operator.LTE,
                                                      Operator.EQ):
        op = "eq" if p.operator is Operator.EQ else _SIMPLE[p.operator]
        return Comparison(op, _number(p.value), qualifiers=tuple(m for m in p.modifiers if m in VALUE_FUNCTIONS))
    if rule.vendor == "elastic":
        return elastic_comparison(p, rule, text_field)
    return COMPARISONS[rule.vendor](p, rule)
