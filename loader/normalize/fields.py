"""Vendor field -> canonical field, one resolver per vendor (the maps themselves are data: graph_schema/fields/).

A resolver is built once per rule (`field_resolver(maps, rule)`) because a field name's meaning depends on
the rule's context: the Sigma logsource, the Splunk data model or raw source and its event codes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graph_schema.field_maps import FieldMaps, MapEntry, Target
from loader.model import Operator, Rule, Scope

__all__ = ["FieldRef", "Resolver", "field_resolver", "vendor_field_key", "field_scope", "SPLUNK_SOURCE_FIELDS"]

SPLUNK_SOURCE_FIELDS = ("source", "sourcetype")
"""Splunk search fields that say which raw source a search reads."""


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A vendor field as resolved for one rule: its `VendorField` key and canonical target (None: unmapped)."""

    vendor_key: str
    target: Target | None
    caseless: bool = False  # the vendor spelling is a case-insensitive multi-field (`.caseless`, `.text`)


Resolver = Callable[[str], FieldRef]


def field_scope(rule: Rule) -> str | None:
    """The logsource a Sigma rule's field names depend on (category, else service, else product); None otherwise.

    Sigma field names mean what the logsource says (`Image` is the process in `process_creation`, the
    loading process in `image_load`), so a Sigma `VendorField` is per logsource; ECS (Elastic) and CIM
    (Splunk) names are global.
    """
    if rule.vendor != "sigma":
        return None
    t = rule.telemetry
    return t.category or t.service or t.product


def vendor_field_key(vendor: str, field: str, scope: str | None = None) -> str:
    """The key of a `VendorField` node: `vendor|field`, or `vendor|logsource|field` for a scoped field."""
    return f"{vendor}|{scope}|{field}" if scope else f"{vendor}|{field}"


def _canonical_as_is(maps: FieldMaps, name: str) -> tuple[str | None, bool]:
    """A name that is canonical already (ECS, an extension, or a `.caseless` spelling of one)."""
    if maps.catalog.lookup(name) is not None:
        base = maps.catalog.caseless_base(name)
        return (base, True) if base else (name, False)
    base = maps.catalog.caseless_base(name)
    return (base, True) if base else (None, False)


def _explicit(entries: list[MapEntry], name: str, codes: tuple[str, ...] = ()) -> Target | None:
    """The target of the first of `entries` (in file order) whose explicit maps name `name`."""
    for entry in entries:
        target = entry.lookup(name, codes)
        if target is not None:
            return target
    return None


def _catch_all(entries: list[MapEntry], name: str) -> str | None:
    """The first `prefix` of `entries` that takes `name` in."""
    for entry in entries:
        target = entry.catch_all(name)
        if target is not None:
            return target
    return None


def _sigma(maps: FieldMaps, rule: Rule) -> Resolver:
    t = rule.telemetry
    entries = maps.sigma.entries_for({"product": t.product, "category": t.category, "service": t.service})
    scope = field_scope(rule)

    def resolve(name: str) -> FieldRef:
        key = vendor_field_key("sigma", name, scope)
        target = _explicit(entries, name)
        if target is not None:
            return FieldRef(key, target)
        canonical, caseless = _canonical_as_is(maps, name)  # e.g. `gcp.audit.method_name` in GCP rules
        return FieldRef(key, canonical or _catch_all(entries, name), caseless)

    return resolve


def _elastic(maps: FieldMaps, rule: Rule) -> Resolver:
    def resolve(name: str) -> FieldRef:
        canonical, caseless = _canonical_as_is(maps, name)
        return FieldRef(vendor_field_key("elastic", name), canonical, caseless)

    return resolve


def _splunk_sources(rule: Rule, source_of: dict[str, list[str]]) -> list[str]:
    """The raw sources a Splunk search reads: its positive `source=` / `sourcetype=` values and the
    `source` / `sourcetype` of the data sources it names."""
    values = [p.value for p in rule.predicates
              if p.field in SPLUNK_SOURCE_FIELDS and p.value and not p.negated and p.operator is not Operator.LOOKUP]
    for name in rule.telemetry.data_sources:
        values.extend(source_of.get(name, ()))
    return list(dict.fromkeys(values))


def _splunk(maps: FieldMaps, rule: Rule, source_of: dict[str, list[str]]) -> Resolver:
    splunk = maps.splunk
    objects = [dm.rsplit(".", 1)[-1] for dm in rule.telemetry.datamodels]
    entries = splunk.sources_for(_splunk_sources(rule, source_of))
    codes = tuple(dict.fromkeys(p.value for p in rule.predicates if p.field in ("EventCode", "EventID")
                                and p.value and not p.negated and p.scope is Scope.FILTER))

    def resolve(name: str) -> FieldRef:
        key = vendor_field_key("splunk", name)
        head, dot, rest = name.partition(".")
        if dot and head in splunk.datamodels:
            if rest in splunk.datamodels[head]:
                return FieldRef(key, splunk.datamodels[head][rest])
            if splunk.datamodel_prefix:
                return FieldRef(key, f"{splunk.datamodel_prefix}.{name}")
        for obj in objects:
            if name in splunk.datamodels.get(obj, {}):
                return FieldRef(key, splunk.datamodels[obj][name])
        target = splunk.common.get(name) or _explicit(entries, name, codes)
        if target is not None:
            return FieldRef(key, target)
        canonical, caseless = _canonical_as_is(maps, name)
        return FieldRef(key, canonical or _catch_all(entries, name), caseless)

    return resolve


def field_resolver(maps: FieldMaps, rule: Rule, source_of: dict[str, list[str]] | None = None) -> Resolver:
    """The resolver of `rule`'s field names; `source_of` maps a Splunk data-source name to its source(types)."""
    if rule.vendor == "sigma":
        return _sigma(maps, rule)
    if rule.vendor == "splunk":
        return _splunk(maps, rule, source_of or {})
    return _elastic(maps, rule)
