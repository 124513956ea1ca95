"""One rule as loaded — the stable JSON object shared by `detgraph rule show` and the API's rule endpoint.

The Cypher is the saved queries `rule_find` and `rule_detail` (queries/*.cypher); this module shapes it.

Shape (documented in docs/rule-json.md):
  {"uid", "vendor", "rule_id", "title", "description", "status", "deprecated", "severity", "rule_type",
   "language", "query", "path", "provenance": {repo, commit, content_hash, loaded_at},
   "partial", "issues", "no_predicates_reason", "telemetry": {...}, "properties": {x_* without prefix},
   "techniques": [{"id", "name", "tactics", "tagged_as"}], "tactics": [shortname],
   "events": [{"key", "provider", "code", "title"}], "data_sources": [name], "correlates": [uid],
   "logic": tree | null,
   "predicates": [{"idx", "field", "operator", "value", "raw_value", "negated", "exclusion", "modifiers",
                   "macro", "scope", "group", "relation",
                   "canonical": {"key", "field", "field_kind", "operator", "value", "qualifiers"},
                   "corpus_reach", "reach_by_vendor"}]}
"""
from __future__ import annotations

import json
from typing import Any

from neo4j import Driver

from graph_schema.errors import NotFound
from queries.catalog import get_query, run

__all__ = ["find_rule_uids", "rule_detail"]

TELEMETRY_KEYS = ("logsource_product", "logsource_category", "logsource_service", "index_patterns",
                  "integrations", "data_sources", "datamodels")
TOP_KEYS = ("uid", "vendor", "rule_id", "title", "description", "status", "deprecated", "severity", "rule_type",
            "language", "query", "author", "created", "modified", "references", "false_positives", "tags", "path",
            "partial", "issues", "no_predicates_reason", "related_rules")


def find_rule_uids(driver: Driver, rule_id: str, database: str | None = None) -> list[str]:
    """The uids of rules whose uid or vendor rule id is `rule_id`."""
    return [r["uid"] for r in run(driver, get_query("rule_find"), {"id": rule_id}, database=database).rows]


def rule_detail(driver: Driver, rule_id: str, database: str | None = None) -> dict[str, Any]:
    """The rule object (see module doc); `NotFound` when no rule, or several vendors', have that id."""
    uids = find_rule_uids(driver, rule_id, database)
    if not uids:
        raise NotFound(f"no rule with id {rule_id!r}")
    if len(uids) > 1:
        raise NotFound(f"rule id {rule_id!r} is ambiguous: use one of {', '.join(uids)}")
    rec = run(driver, get_query("rule_detail"), {"uid": uids[0]}, database=database).rows[0]
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
    out["events"] = sorted(rec["events"], key=lambda e: e["key"])
    out["data_sources"] = sorted(rec["data_sources"])
    out["correlates"] = sorted(rec["correlates"])
    out["logic"] = json.loads(props["logic"]) if props.get("logic") else None
    out["predicates"] = rec["predicates"]
    return out
