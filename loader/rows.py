"""Rule records -> the parameter rows the writer sends to Neo4j (pure functions, no database).

Until the cross-vendor normalization lands, a vendor field is its own canonical field and an
indicator is keyed by (vendor, vendor field, operator, value).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loader.model import DataSource, EventRef, Predicate, Rule

__all__ = ["ROW_FORMAT", "Provenance", "rule_uid", "indicator_key", "vendor_key", "field_scope", "vendor_field_key",
           "event_key", "rule_row", "predicate_rows", "data_source_row", "neo4j_value"]


ROW_FORMAT = 3
"""Bump when what the writer stores for a rule changes: rules written in another format are rewritten."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a load's rules came from."""

    repo: str | None = None
    commit: str | None = None
    loaded_at: str = ""


def rule_uid(vendor: str, rule_id: str) -> str:
    """The graph-wide key of a rule."""
    return f"{vendor}:{rule_id}"


def vendor_key(vendor: str, name: str) -> str:
    """The key of a node a vendor names (a `DataSource`)."""
    return f"{vendor}|{name}"


def field_scope(rule: Rule) -> str | None:
    """The logsource a rule's field names depend on, or None where a field name means one thing.

    Sigma field names mean what the logsource says (`Image` is the process in `process_creation`, the
    loading process in `image_load`; `Hashes` the process's or the module's), so a Sigma `VendorField`
    is per logsource: its category, else service, else product. ECS (Elastic) and CIM data-model (Splunk)
    names are global.
    """
    if rule.vendor != "sigma":
        return None
    t = rule.telemetry
    return t.category or t.service or t.product


def vendor_field_key(vendor: str, field: str, scope: str | None = None) -> str:
    """The key of a `VendorField` node: `vendor|field`, or `vendor|logsource|field` for a scoped field."""
    return f"{vendor}|{scope}|{field}" if scope else f"{vendor}|{field}"


def indicator_key(vendor: str, p: Predicate) -> str:
    """A fixed-size key for (vendor, field, operator, value) — values can be long regexes."""
    raw = "\x1f".join((vendor, p.field or "", str(p.operator), p.value or ""))
    return hashlib.sha1(raw.encode()).hexdigest()


def event_key(e: EventRef) -> str:
    """The key of an `Event` node."""
    return f"{e.provider}|{e.event}"


def neo4j_value(value: Any) -> Any:
    """A value Neo4j can store as a property: primitives, homogeneous lists of them, else JSON text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        items = [neo4j_value(v) for v in value if v is not None]
        if all(isinstance(v, str) for v in items):
            return items
        if all(isinstance(v, bool | int | float) for v in items) and len({type(v) for v in items}) <= 1:
            return items
        return [json.dumps(v, default=str) if not isinstance(v, str) else v for v in items]
    return json.dumps(value, default=str, sort_keys=True)


def rule_row(rule: Rule, prov: Provenance, resolve: Callable[[str], str | None], content_hash: str) -> dict[str, Any]:
    """The `Rule` node's properties plus what its relationships need.

    `resolve` maps a technique id as tagged to the active technique it links to (None: not linked);
    `content_hash` is `rule.content_hash()`, which the caller has already computed to skip unchanged rules.
    """
    t = rule.telemetry
    props: dict[str, Any] = {
        f"x_{k}": neo4j_value(v) for k, v in rule.properties.items() if v not in (None, "", [])
    }
    props.update({
        "uid": rule_uid(rule.vendor, rule.rule_id), "vendor": rule.vendor, "rule_id": rule.rule_id,
        "title": rule.title, "description": rule.description, "status": rule.status,
        "deprecated": rule.deprecated, "severity": rule.severity, "rule_type": rule.rule_type,
        "language": rule.language, "query": rule.query, "author": rule.author, "created": rule.created,
        "modified": rule.modified, "references": rule.references, "false_positives": rule.false_positives,
        "tags": rule.tags, "path": rule.path, "partial": rule.partial, "issues": rule.issues,
        "no_predicates_reason": rule.no_predicates_reason,
        "logic": json.dumps(rule.logic) if rule.logic is not None else None,
        "technique_ids": sorted({r.technique_id for r in rule.techniques}), "tactics": rule.tactics,
        "related_rules": rule.related_rules, "predicate_count": len(rule.predicates),
        "logsource_product": t.product, "logsource_category": t.category, "logsource_service": t.service,
        "index_patterns": t.index_patterns, "integrations": t.integrations, "data_sources": t.data_sources,
        "datamodels": t.datamodels,
        "repo": prov.repo, "commit": prov.commit, "content_hash": content_hash, "loaded_at": prov.loaded_at,
        "row_format": ROW_FORMAT,
    })
    props = {k: neo4j_value(v) for k, v in props.items() if v is not None}
    tactics_by_technique: dict[str, set[str]] = {}
    for ref in rule.techniques:
        tactics_by_technique.setdefault(ref.technique_id, set())
        if ref.tactic:
            tactics_by_technique[ref.technique_id].add(ref.tactic)
    named_tactics = sorted(set(rule.tactics) | {x for s in tactics_by_technique.values() for x in s})
    return {
        "uid": props["uid"],
        "props": props,
        "techniques": [
            {"id": target, "tagged_as": k, "tactics": sorted(v)}
            for k, v in sorted(tactics_by_technique.items())
            if (target := resolve(k)) is not None
        ],
        "tactics": named_tactics,
        "events": [{"key": event_key(e), "provider": e.provider, "event": e.event}
                   for e in dict.fromkeys(rule.events)],
        "data_sources": [vendor_key(rule.vendor, name) for name in dict.fromkeys(t.data_sources)],
        "predicates": predicate_rows(rule),
    }


def predicate_rows(rule: Rule) -> list[dict[str, Any]]:
    """One row per predicate: the indicator it points at and the relationship's own properties."""
    rows = []
    scope = field_scope(rule)
    for idx, p in enumerate(rule.predicates):
        vendor_field = vendor_field_key(rule.vendor, p.field, scope) if p.field else None
        rows.append({
            "key": indicator_key(rule.vendor, p),
            "field": p.field,
            "vendor_field": vendor_field,
            "field_scope": scope,
            "operator": str(p.operator),
            "value": p.value,
            "rel": {k: v for k, v in {
                "idx": idx, "negated": p.negated, "exclusion": p.exclusion, "raw_value": p.raw_value,
                "modifiers": list(p.modifiers) or None, "macro": p.macro, "scope": str(p.scope), "group": p.group,
                "field": p.field, "vendor_field": vendor_field,
                "relation": str(p.relation) if p.relation else None,
            }.items() if v is not None},
        })
    return rows


def data_source_row(ds: DataSource) -> dict[str, Any]:
    """A `DataSource` node row (and its event, when it names one)."""
    props = {
        "key": vendor_key(ds.vendor, ds.name), "vendor": ds.vendor, "name": ds.name,
        "source_id": ds.source_id, "source": ds.source, "sourcetype": ds.sourcetype,
        "description": ds.description, "supported_tas": ds.supported_tas, "fields": ds.fields, "path": ds.path,
    }
    event = {"key": event_key(ds.event), "provider": ds.event.provider, "event": ds.event.event} if ds.event else None
    return {"key": props["key"], "props": {k: v for k, v in props.items() if v is not None}, "event": event}
