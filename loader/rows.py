"""Rule records -> the parameter rows the writer sends to Neo4j (pure functions, no database).

Predicates go through the normalization layer (`loader.normalize`): an indicator is keyed by its
canonical field, operator, value and qualifiers — no vendor — and the predicate as the vendor wrote it
(field, operator, value, modifiers) stays on the rule->indicator relationship.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loader.model import DataSource, Rule
from loader.normalize import CanonicalPredicate, Normalizer
from loader.normalize.fields import field_scope

__all__ = ["ROW_FORMAT", "Provenance", "rule_uid", "vendor_key", "rule_row", "predicate_rows", "data_source_row",
           "neo4j_value"]


ROW_FORMAT = 5
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


def rule_row(rule: Rule, prov: Provenance, resolve: Callable[[str], str | None], content_hash: str,
             normalizer: Normalizer, source_digest: str | None = None) -> dict[str, Any]:
    """The `Rule` node's properties plus what its relationships need.

    `resolve` maps a technique id as tagged to the active technique it links to (None: not linked);
    `content_hash` is `rule.content_hash()`, which the caller has already computed to skip unchanged rules;
    `source_digest` is the digest of the rule's file (a file with the same digest is not parsed again).
    """
    t = rule.telemetry
    props: dict[str, Any] = {
        f"x_{k}": neo4j_value(v) for k, v in rule.properties.items() if v not in (None, "", [])
    }
    events = normalizer.events(rule)
    canonical = normalizer.canonical(rule)
    props.update(normalizer.robustness(rule, canonical, events).props())
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
        "exclusion_count": sum(p.exclusion for p in rule.predicates), "source_digest": source_digest,
        "logsource_product": t.product, "logsource_category": t.category, "logsource_service": t.service,
        "index_patterns": t.index_patterns, "integrations": t.integrations, "data_sources": t.data_sources,
        "datamodels": t.datamodels, "event_keys": [e.key for e in events],
        "repo": prov.repo, "commit": prov.commit, "content_hash": content_hash, "loaded_at": prov.loaded_at,
        "row_format": ROW_FORMAT, "normalization": normalizer.version,
    })
    tactics_by_technique: dict[str, set[str]] = {}
    for ref in rule.techniques:
        tactics_by_technique.setdefault(ref.technique_id, set())
        if ref.tactic:
            tactics_by_technique[ref.technique_id].add(ref.tactic)
    named_tactics = sorted(set(rule.tactics) | {x for s in tactics_by_technique.values() for x in s})
    props["named_tactics"] = named_tactics
    props = {k: neo4j_value(v) for k, v in props.items() if v is not None}
    return {
        "uid": props["uid"],
        "props": props,
        "techniques": [
            {"id": target, "tagged_as": k, "tactics": sorted(v)}
            for k, v in sorted(tactics_by_technique.items())
            if (target := resolve(k)) is not None
        ],
        "tactics": named_tactics,
        "events": [e.key for e in events],
        "data_sources": [vendor_key(rule.vendor, name) for name in dict.fromkeys(t.data_sources)],
        "predicates": predicate_rows(rule, normalizer, canonical),
    }


def predicate_rows(rule: Rule, normalizer: Normalizer,
                   canonical: list[CanonicalPredicate] | None = None) -> list[dict[str, Any]]:
    """One row per predicate: the canonical indicator it points at and the predicate as the vendor wrote it
    (`canonical`: `normalizer.canonical(rule)` when the caller has it already)."""
    rows = []
    scope = field_scope(rule)
    canonical = normalizer.canonical(rule) if canonical is None else canonical
    for idx, (p, c) in enumerate(zip(rule.predicates, canonical, strict=True)):
        rows.append({
            "key": c.key,
            "field": c.field,
            "field_kind": c.field_kind,
            "vendor_field": c.vendor_field,
            "field_scope": scope,
            "operator": c.operator,
            "value": c.value,
            "qualifiers": list(c.qualifiers),
            "context": c.context,
            "bypass_reason": normalizer.bypass(c),
            "rel": {k: v for k, v in {
                "idx": idx, "negated": c.negated, "exclusion": p.exclusion, "raw_value": p.raw_value,
                "modifiers": list(p.modifiers) or None, "macro": p.macro, "scope": str(p.scope), "group": p.group,
                "field": p.field, "vendor_field": c.vendor_field, "operator": str(p.operator), "value": p.value,
                "relation": str(p.relation) if p.relation is not None else None,
            }.items() if v is not None},
        })
    return rows


def data_source_row(ds: DataSource, normalizer: Normalizer) -> dict[str, Any]:
    """A `DataSource` node row, the catalog event it stands for and the canonical fields it lists."""
    props = {
        "key": vendor_key(ds.vendor, ds.name), "vendor": ds.vendor, "name": ds.name,
        "source_id": ds.source_id, "source": ds.source, "sourcetype": ds.sourcetype,
        "description": ds.description, "supported_tas": ds.supported_tas, "fields": ds.fields, "path": ds.path,
        "event_name": ds.event.event if ds.event else None,
    }
    event = normalizer.data_source_event(ds)
    return {"key": props["key"], "props": {k: v for k, v in props.items() if v is not None},
            "event": event.key if event else None,
            "event_fields": normalizer.data_source_fields(ds) if event else []}
