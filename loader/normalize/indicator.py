"""Canonical indicators: (canonical field, canonical operator, canonical value, qualifiers) — no vendor in the key.

`canonical_predicate` joins a `Comparison` (loader/normalize/operators.py) with the field its vendor
spelling maps to (loader/normalize/fields.py), classifies string globs, case-folds where the vendor
ignores case, and collapses equivalent forms: a full-path `endswith '\\X'` (X with no separator or
wildcard) is `<name field> eq X` (`process.executable` -> `process.name`, graph_schema/fields/canonical.yml).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from graph_schema.field_catalog import FieldCatalog
from graph_schema.field_maps import ValueSplit
from loader.model import Predicate, Scope
from loader.normalize.fields import FieldRef, Resolver
from loader.normalize.operators import Comparison
from loader.normalize.values import classify, fold, split_basename

__all__ = ["CanonicalPredicate", "canonical_predicate", "indicator_key", "AGGREGATE_PREFIX"]

AGGREGATE_PREFIX = "aggregate:"
"""Canonical name of a value a rule computes itself (a count, a threshold column): `aggregate:count`."""


@dataclass(frozen=True, slots=True)
class CanonicalPredicate:
    """One predicate in canonical form: the indicator it tests and how the rule uses it."""

    field: str | None  # canonical field; the VendorField key when unmapped; None for field-less text
    field_kind: str  # "ecs" | "extension" | "unmapped" | "aggregate" | "none"
    vendor_field: str | None  # the VendorField key of the spelling as written
    operator: str
    value: str | None
    qualifiers: tuple[str, ...]
    negated: bool
    context: bool = False  # the field selects telemetry (event.category, host.os.type...), not activity

    @property
    def key(self) -> str:
        """The indicator's key."""
        return indicator_key(self.field, self.operator, self.value, self.qualifiers)


def indicator_key(field: str | None, operator: str, value: str | None, qualifiers: tuple[str, ...] = ()) -> str:
    """A fixed-size key for (field, operator, value, qualifiers) — values can be long regexes."""
    raw = "\x1f".join((field or "", operator, value or "", "+".join(qualifiers)))
    return hashlib.sha1(raw.encode()).hexdigest()


def _field(ref: FieldRef, value: str | None, catalog: FieldCatalog) -> tuple[str, str, str | None, bool]:
    """(canonical field or the vendor key, kind, value, split) — a `ValueSplit` target takes its prefix off."""
    target, split = ref.target, False
    if isinstance(target, ValueSplit):
        target, value, split = target.split(value)
    if target is None:
        return ref.vendor_key, "unmapped", value, split
    found = catalog.lookup(target)
    return target, found.kind if found else "unmapped", value, split


def canonical_predicate(p: Predicate, comparison: Comparison, resolve: Resolver, catalog: FieldCatalog) -> \
        CanonicalPredicate:
    """The canonical form of predicate `p` (already read by its vendor's comparison function)."""
    ref = resolve(p.field) if p.field else None
    vendor_field = ref.vendor_key if ref else None
    negated = p.negated ^ comparison.negate
    qualifiers = comparison.qualifiers
    operator, value = comparison.operator, comparison.value
    if p.scope is Scope.THRESHOLD and p.field:
        return CanonicalPredicate(f"{AGGREGATE_PREFIX}{p.field}", "aggregate", vendor_field, operator, value,
                                  qualifiers, negated)
    if operator == "string" and comparison.glob is not None:
        caseless = comparison.caseless or (ref is not None and ref.caseless)
        operator, value = classify(fold(comparison.glob) if caseless else comparison.glob)
    if ref is None:
        return CanonicalPredicate(None, "none", None, operator, value, qualifiers, negated)
    field, kind, value, split = _field(ref, value, catalog)
    if split and operator == "contains":
        operator = "eq"  # `Hashes|contains: IMPHASH=x` names the whole imphash once its prefix is off
    if operator == "fieldref" and value:
        value = _field(resolve(value), None, catalog)[0]
    if operator == "endswith" and field in catalog.basenames and value is not None and not qualifiers:
        name = split_basename(value)
        if name is not None:
            field, operator, value = catalog.basenames[field], "eq", name
    return CanonicalPredicate(field, kind, vendor_field, operator, value, qualifiers, negated,
                              field in catalog.context_fields)
