"""Where a saved query becomes an endpoint: the table of the JSON API's catalog-backed routes.

Each `Endpoint` is a path under `/api/v1`, the saved query (queries/<name>.cypher) it runs, and how its
rows are returned: a *page* of rows (`limit`/`offset`, bounded by the query's own `limit` maximum) or one
*document* (the query's single row; 404 when it finds nothing). Path segments fill the query parameters
of the same name; every other parameter comes from the query string and is validated by the catalog
(`NamedQuery.bind`) before it reaches Cypher. `api_v1.py` registers them; `openapi.py` describes them.
A few routes shape their answer in Python over catalog queries and are written out in `api_v1.py`:
rule detail (`queries.rule_detail`), the Navigator layer (`queries.navigator`), the draft check
(`queries.review`), the report list/run and health.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from queries.catalog import NamedQuery, get_query

__all__ = ["Endpoint", "ENDPOINTS", "openapi_path", "path_parameters"]

_SEGMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One JSON route over one saved query."""

    path: str  # Flask rule under /api/v1, e.g. "/techniques/<technique>"
    query: str  # the saved query's name
    summary: str
    tag: str
    document: bool = False  # one object (the query's only row) instead of a page of rows

    @property
    def named(self) -> NamedQuery:
        """The saved query."""
        return get_query(self.query)

    @property
    def name(self) -> str:
        """The Flask endpoint name (unique)."""
        return "q_" + re.sub(r"\W+", "_", openapi_path(self.path)).strip("_")


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("/techniques", "techniques", "ATT&CK techniques with rule counts (filter by tactic, vendor, search)",
             "Techniques"),
    Endpoint("/techniques/<technique>", "technique_guide", "Technique guide: events, fields, indicators with corpus "
             "reach, exclusions, rules by vendor, recommended log sources", "Techniques", document=True),
    Endpoint("/techniques/<technique>/log-sources", "technique_log_sources",
             "ATT&CK v18 recommended log sources beside the events the technique's rules read", "Techniques"),
    Endpoint("/rules", "rule_search", "Full-text search over rule titles, descriptions and queries", "Rules"),
    Endpoint("/rules/<path:uid>/similar", "similar_rules", "Rules sharing the most selection indicators (Jaccard)",
             "Rules"),
    Endpoint("/rules/<path:uid>/missing-exclusions", "missing_exclusions",
             "Exclusions that rules sharing this rule's indicators use and it lacks", "Rules"),
    Endpoint("/similar", "cross_vendor_duplicates", "Near-duplicate rule pairs (across vendors by default)", "Rules"),
    Endpoint("/indicators", "indicator_find", "Canonical indicators on a field (operator and value optional)",
             "Indicators"),
    Endpoint("/indicators/shared", "shared_indicators", "Indicators used under many techniques", "Indicators"),
    Endpoint("/indicators/noisy", "noisy_indicators", "Indicators with the highest corpus reach", "Indicators"),
    Endpoint("/indicators/unique", "unique_indicators", "Indicators only one rule uses", "Indicators"),
    Endpoint("/indicators/<key>", "indicator_view", "One indicator: its rules across vendors and techniques, "
             "as selection and as exclusion", "Indicators", document=True),
    Endpoint("/exclusions/overlap", "exclusion_overlap", "Exclusions shared across rules, techniques and vendors",
             "Exclusions"),
    Endpoint("/exclusions/bypassable", "bypassable_exclusions", "Exclusions an attacker controls (names, relative "
             "paths) with their blast radius", "Exclusions"),
    Endpoint("/exclusions/<key>", "exclusion_blast_radius", "Blast radius: every rule excluding one indicator",
             "Exclusions", document=True),
    Endpoint("/fields", "fields", "Canonical fields with rule counts per vendor", "Fields"),
    Endpoint("/fields/unmapped", "fields_unmapped", "Vendor fields no map names (kept verbatim)", "Fields"),
    Endpoint("/fields/<path:field>", "field_view", "One canonical field: vendor spellings, operators, top values",
             "Fields", document=True),
    Endpoint("/events", "events", "The telemetry event catalog with the rules reading each event", "Events"),
    Endpoint("/events/<path:event>", "event_view", "One event: the rules and techniques that depend on it",
             "Events", document=True),
    Endpoint("/telemetry/what-if", "telemetry_what_if", "What-if: the rules and techniques that lose all telemetry "
             "without some events or providers", "Events", document=True),
    Endpoint("/telemetry/best-next", "best_next_event", "The events that would cover the most new techniques",
             "Events"),
    Endpoint("/coverage", "coverage_matrix", "Techniques x vendors rule counts", "Coverage"),
    Endpoint("/coverage/tactics", "coverage_by_tactic", "Coverage per tactic and vendor", "Coverage"),
    Endpoint("/coverage/gaps", "techniques_without_rules", "Techniques no rule covers", "Coverage"),
    Endpoint("/coverage/single-vendor", "techniques_single_vendor", "Techniques only one vendor covers", "Coverage"),
    Endpoint("/robustness", "robustness_distribution", "Robustness levels per vendor", "Robustness"),
    Endpoint("/robustness/brittle", "brittle_rules", "Rules that key on what an attacker controls", "Robustness"),
)
"""Every catalog-backed JSON route, in the order the OpenAPI document lists them."""


def path_parameters(flask_path: str) -> list[str]:
    """The names of a Flask rule's path segments (`/rules/<path:uid>` -> ["uid"])."""
    return [m.group(2) for m in _SEGMENT.finditer(flask_path)]


def openapi_path(flask_path: str) -> str:
    """A Flask rule in OpenAPI's syntax (`/rules/<path:uid>` -> `/rules/{uid}`)."""
    return _SEGMENT.sub(lambda m: "{" + m.group(2) + "}", flask_path)
