"""What `detgraph check` asks the graph about a draft — every question a saved query of `queries/`."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from neo4j import Driver

from queries.catalog import QUERIES_DIR, NamedQuery, parse_query_file, run

__all__ = ["CorpusView", "LoadNormalization"]


@cache
def named(name: str) -> NamedQuery:
    """One saved query of `queries/`, read and validated alone: `detgraph check` needs 7 of the catalog's
    files, and reading all of them (`load_catalog`) was a tenth of its run time."""
    return parse_query_file(QUERIES_DIR / f"{name}.cypher")


@dataclass(frozen=True, slots=True)
class LoadNormalization:
    """How the graph's last load normalized (`Meta {key: 'normalization'}`)."""

    version: str | None
    ecs_path: str | None
    roots: dict[str, str] = field(default_factory=dict)  # vendor -> corpus root


@dataclass(slots=True)
class CorpusView:
    """Read-only questions about the loaded corpus, one saved query each."""

    driver: Driver
    database: str | None = None

    def _rows(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return run(self.driver, named(name), params, database=self.database).rows

    def normalization(self) -> LoadNormalization:
        """What the last load normalized with (empty when the graph holds no load)."""
        rows = self._rows("normalization")
        if not rows:
            return LoadNormalization(None, None)
        return LoadNormalization(rows[0]["version"], rows[0]["ecs_path"], {k: v for k, v in rows[0]["roots"]})

    def indicators(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """Stored facts (reach, techniques, exclusion count) of the indicators any rule uses, by key."""
        return {r["key"]: r for r in self._rows("indicators_by_key", keys=keys)} if keys else {}

    def missing_exclusions(self, selection: list[str], exclusions: list[str], techniques: list[str],
                           events: list[str], min_shared: int, limit: int) -> list[dict[str, Any]]:
        """Exclusions peers use and the draft lacks, most used first."""
        if not selection and not (techniques and events):
            return []
        return self._rows("missing_exclusions", selection=selection, exclusions=exclusions, techniques=techniques,
                          events=events, min_shared=min_shared, limit=limit)

    def similar(self, selection: list[str], min_jaccard: float, limit: int) -> list[dict[str, Any]]:
        """Existing rules closest to the draft's selection indicators (Jaccard)."""
        if not selection:
            return []
        return self._rows("similar_rules", indicators=selection, min_jaccard=min_jaccard, limit=limit)

    def event_fields(self, events: list[str]) -> list[dict[str, Any]]:
        """Fields the rules on `events` use (every rule's with no events) and the fields the events carry."""
        return self._rows("event_fields_used", events=events, limit=20000)

    def spellings(self, vendor: str, logsource: str | None) -> list[dict[str, Any]]:
        """How `vendor`'s rules spell fields (in one Sigma logsource scope)."""
        return self._rows("field_spellings", vendor=vendor, logsource=logsource)

    def peer_techniques(self, selection: list[str], techniques: list[str], min_overlap: float,
                        min_peers: int, limit: int) -> list[dict[str, Any]]:
        """Techniques the draft's peers carry and it does not."""
        if not selection:
            return []
        return self._rows("peer_techniques", selection=selection, techniques=techniques, min_overlap=min_overlap,
                          min_peers=min_peers, limit=limit)
