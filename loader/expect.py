"""What a loader expects of a rule file's fields, checked the same way for every vendor.

A field the loader reads but gets with the wrong type, and a field every rule of the upstream corpus
carries but this rule lacks (a truncated file that still parses), is a rule issue: the rule loads, marked
partial, and the report says which field and why. Nothing is dropped without a word.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Field", "type_name", "article", "check_fields"]

_NAMES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"), (int, "integer"), (float, "float"), (str, "string"), (list, "list"), (dict, "mapping"),
    ((datetime.date, datetime.time), "date"),
)
_SCALARS = (str, int, float, bool, datetime.date, datetime.time)


def type_name(value: Any) -> str:
    """A value's type in the words of YAML and TOML files (string, integer, list, mapping ...)."""
    if value is None:
        return "null"
    return next((name for kind, name in _NAMES if isinstance(value, kind)), type(value).__name__)


@dataclass(frozen=True, slots=True)
class Field:
    """One field a loader reads: its kind and whether every rule must carry it.

    Kinds: `text` (a string; a number or date is accepted as its text), `texts` (a string or a list of
    them), `number`, `mapping`, `mappings` (a list of mappings).
    """

    kind: str
    required: bool = False


_EXPECTED = {"text": "a string", "texts": "a list of strings", "number": "a number", "mapping": "a mapping",
             "mappings": "a list of mappings"}


def _wrong(kind: str, value: Any) -> bool:
    if kind == "text":
        return not isinstance(value, _SCALARS)
    if kind == "texts":
        return not isinstance(value, list | str)
    if kind == "number":
        return isinstance(value, bool) or not isinstance(value, int | float)
    if kind == "mapping":
        return not isinstance(value, dict)
    return not isinstance(value, list)  # mappings


def article(name: str) -> str:
    """`an integer`, `a string`."""
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def check_fields(data: Mapping[str, Any], fields: Mapping[str, Field], prefix: str = "") -> list[str]:
    """The issues of `data` against `fields`: missing required fields, wrong types, list items dropped."""
    issues: list[str] = []
    for key, spec in fields.items():
        name = f"{prefix}{key}"
        value = data.get(key)
        if value is None or value == "":
            if spec.required:
                issues.append(f"missing field '{name}'")
            continue
        if _wrong(spec.kind, value):
            issues.append(f"field '{name}' is {article(type_name(value))}, expected {_EXPECTED[spec.kind]} (ignored)")
            continue
        if spec.kind in ("texts", "mappings") and isinstance(value, list):
            item_ok = (lambda v: isinstance(v, _SCALARS)) if spec.kind == "texts" else (lambda v: isinstance(v, dict))
            issues += [f"field '{name}' item {i + 1} is {article(type_name(v))}, expected "
                       f"{'a string' if spec.kind == 'texts' else 'a mapping'} (dropped)"
                       for i, v in enumerate(value) if not item_ok(v)]
    return issues
