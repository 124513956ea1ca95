"""One rule as loaded — the stable JSON object shared by `detgraph rule show` and the API's rule endpoint.

Shape (documented in docs/rule-json.md):
  {"uid", "vendor", "rule_id", "title", "description", "status", "deprecated", "severity", "rule_type",
   "language", "query", "path", "provenance": {repo, commit, content_hash, loaded_at},
   "partial", "issues", "no_predicates_reason", "telemetry": {...}, "properties": {x_* without prefix},
   "techniques": [{"id", "name", "tactics", "tagged_as"}], "tactics": [shortname],
   "events": [{"provider", "event"}], "data_sources": [name], "correlates": [uid],
   "logic": tree | null,
   "predicates": [{"idx", "field", "operator", "value", "raw_value", "negated", "exclusion", "modifiers",
                   "macro", "scope", "group", "relation", "canonical": {"field", "operator", "value"},
                   "corpus_reach"}]}
"""
from __future__ import annotations

import json
from typing import Any

from neo4j import Driver

from graph_schema.errors import NotFound

__all__ = ["RULE_QUERY", "find_rule_uids", "rule_detail"]

FIND = """
MATCH (r:Rule) WHERE r.uid = $id OR r.rule_id = $id
RETURN r.uid AS uid ORDER BY uid
"""

RULE_QUERY = """
MATCH (r:Rule {uid: $uid})
OPTIONAL MATCH (r)-[d:DETECTS]->(t:Technique)
WITH r, collect(CASE WHEN t IS NULL THEN null ELSE
     {id: t.id, name: t.name, tactics: d.tactics, tagged_as: d.tagged_as} END) AS techniques
OPTIONAL MATCH (r)-[:TAGGED_TACTIC]->(ta:Tactic)
WITH r, techniques, collect(ta.shortname) AS tactics
OPTIONAL MATCH (r)-[:USES_EVENT]->(e:Event)
WITH r, techniques, tactics, collect(CASE WHEN e IS NULL THEN null ELSE {provider: e.provider, event: e.event} END)
     AS events
OPTIONAL MATCH (r)-[:READS]->(ds:DataSource)
WITH r, techniques, tactics, events, collect(ds.name) AS data_sources
OPTIONAL MATCH (r)-[:CORRELATES]->(c:Rule)
WITH r, techniques, tactics, events, data_sources, collect(c.uid) AS correlates
OPTIONAL MATCH (r)-[h:HAS_PREDICATE]->(i:Indicator)
OPTIONAL MATCH (i)-[:ON_FIELD]->(f:Field)
WITH r, techniques, tactics, events, data_sources, correlates, h, i, f
ORDER BY h.idx
WITH r, techniques, tactics, events, data_sources, correlates,
     collect(CASE WHEN h IS NULL THEN null ELSE {
       idx: h.idx, field: h.field, operator: i.operator, value: i.value, raw_value: h.raw_value,
       negated: h.negated, exclusion: h.exclusion, modifiers: coalesce(h.modifiers, []), macro: h.macro,
       scope: h.scope, group: h.group, relation: h.relation,
       canonical: {field: f.name, operator: i.operator, value: i.value},
       corpus_reach: COUNT { MATCH (i)<-[:HAS_PREDICATE]-(other:Rule) RETURN DISTINCT other }
     } END) AS predicates
RETURN r {.*} AS rule, techniques, tactics, events, data_sources, correlates, predicates
"""

TELEMETRY_KEYS = ("logsource_product", "logsource_category", "logsource_service", "index_patterns",
                  "integrations", "data_sources", "datamodels")
TOP_KEYS = ("uid", "vendor", "rule_id", "title", "description", "status", "deprecated", "severity", "rule_type",
            "language", "query", "author", "created", "modified", "references", "false_positives", "tags", "path",
            "partial", "issues", "no_predicates_reason", "related_rules")


def find_rule_uids(driver: Driver, rule_id: str, database: str | None = None) -> list[str]:
    """The uids of rules whose uid or vendor rule id is `rule_id`."""
    records, _, _ = driver.execute_query(FIND, id=rule_id, database_=database, routing_="r")
    return [r["uid"] for r in records]


def rule_detail(driver: Driver, rule_id: str, database: str | None = None) -> dict[str, Any]:
    """The rule object (see module doc); `NotFound` when no rule, or several vendors', have that id."""
    uids = find_rule_uids(driver, rule_id, database)
    if not uids:
        raise NotFound(f"no rule with id {rule_id!r}")
    if len(uids) > 1:
        raise NotFound(f"rule id {rule_id!r} is ambiguous: use one of {', '.join(uids)}")
    records, _, _ = driver.execute_query(RULE_QUERY, uid=uids[0], database_=database, routing_="r")
    rec = records[0]
    props: dict[str, Any] = dict(rec["rule"])
    out: dict[str, Any] = {k: props.get(k) for k in TOP_KEYS}
    out["deprecated"] = bool(props.get("deprecated"))
    out["partial"] = bool(props.get("partial"))
    for key in ("references", "false_positives", "tags", "issues", "related_rules"):
        out[key] = props.get(key) or []
    out["provenance"] = {k: props.get(k) for k in ("repo", "commit", "content_hash", "loaded_at")}
    out["telemetry"] = {k: props.get(k) for k in TELEMETRY_KEYS}
    out["properties"] = {k[2:]: v for k, v in sorted(props.items()) if k.startswith("x_")}
    out["techniques"] = sorted(rec["techniques"], key=lambda t: t["id"])
    out["tactics"] = sorted(rec["tactics"])
    out["events"] = sorted(rec["events"], key=lambda e: (e["provider"], e["event"]))
    out["data_sources"] = sorted(rec["data_sources"])
    out["correlates"] = sorted(rec["correlates"])
    out["logic"] = json.loads(props["logic"]) if props.get("logic") else None
    out["predicates"] = rec["predicates"]
    return out
