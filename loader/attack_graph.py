"""Writes an `AttackCatalog` into Neo4j in one transaction: the backbone every rule links to.

Reloading replaces ATT&CK's own relationships (a newer release may move a technique), never the
rules' links to techniques.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from neo4j import Driver, ManagedTransaction

from loader.attack.model import AttackCatalog
from queries.catalog import get_query, run

__all__ = ["write_attack", "technique_resolver_from_graph"]

CLEAR = """
MATCH (:Technique|Tactic|DetectionStrategy|Analytic|LogSource|DataComponent)
      -[x:BELONGS_TO|SUBTECHNIQUE_OF|REVOKED_BY|DETECTED_BY|USES_ANALYTIC|READS_LOG|OF_COMPONENT|USES_COMPONENT]->()
DELETE x
"""

STATEMENTS: tuple[tuple[str, str], ...] = (
    ("tactics", "UNWIND $rows AS r MERGE (t:Tactic {id: r.id}) SET t = r"),
    ("techniques", "UNWIND $rows AS r MERGE (t:Technique {id: r.id}) SET t = r"),
    ("techniques", """
        UNWIND $rows AS r MATCH (t:Technique {id: r.id})
        UNWIND r.tactics AS shortname MATCH (ta:Tactic {shortname: shortname}) MERGE (t)-[:BELONGS_TO]->(ta)"""),
    ("techniques", """
        UNWIND $rows AS r WITH r WHERE r.parent_id IS NOT NULL
        MATCH (t:Technique {id: r.id}), (p:Technique {id: r.parent_id}) MERGE (t)-[:SUBTECHNIQUE_OF]->(p)"""),
    ("revoked", """
        UNWIND $rows AS r MATCH (old:Technique {id: r.old}), (new:Technique {id: r.new})
        MERGE (old)-[:REVOKED_BY]->(new)"""),
    ("data_components", "UNWIND $rows AS r MERGE (d:DataComponent {id: r.id}) SET d = r"),
    ("strategies", "UNWIND $rows AS r MERGE (s:DetectionStrategy {id: r.id}) SET s = r"),
    ("strategies", """
        UNWIND $rows AS r MATCH (s:DetectionStrategy {id: r.id})
        UNWIND r.techniques AS tid MATCH (t:Technique {id: tid}) MERGE (t)-[:DETECTED_BY]->(s)"""),
    ("analytics", "UNWIND $rows AS r MERGE (a:Analytic {id: r.id}) SET a = r"),
    ("analytics", """
        UNWIND $rows AS r WITH r WHERE r.strategy_id IS NOT NULL
        MATCH (a:Analytic {id: r.id}), (s:DetectionStrategy {id: r.strategy_id}) MERGE (s)-[:USES_ANALYTIC]->(a)"""),
    ("analytics", """
        UNWIND $rows AS r MATCH (a:Analytic {id: r.id})
        UNWIND r.data_components AS dc MATCH (d:DataComponent {id: dc}) MERGE (a)-[:USES_COMPONENT]->(d)"""),
    ("log_sources", "UNWIND $rows AS r MERGE (l:LogSource {key: r.key}) SET l.name = r.name, l.channel = r.channel"),
    ("log_source_components", """
        UNWIND $rows AS r MATCH (l:LogSource {key: r.key}), (d:DataComponent {id: r.data_component_id})
        MERGE (l)-[:OF_COMPONENT]->(d)"""),
    ("analytic_log_sources", """
        UNWIND $rows AS r MATCH (l:LogSource {key: r.key}), (a:Analytic {id: r.analytic_id})
        MERGE (a)-[:READS_LOG]->(l)"""),
    ("meta", "MERGE (m:Meta {key: 'attack'}) SET m.version = $version, m.source = $source, m.content_hash = $hash"),
)


def _unique(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without repeats (ATT&CK names the same log source once per analytic)."""
    return [dict(t) for t in dict.fromkeys(tuple(r.items()) for r in rows)]


def _rows(catalog: AttackCatalog) -> dict[str, list[dict[str, Any]]]:
    return {
        "tactics": [t.to_row() for t in catalog.tactics.values()],
        "techniques": [t.to_row() for t in (*catalog.techniques.values(), *catalog.retired.values())],
        "revoked": [{"old": old, "new": new} for old, new in catalog.revoked.items()],
        "data_components": [d.to_row() for d in catalog.data_components.values()],
        "strategies": [s.to_row() for s in catalog.strategies.values()],
        "analytics": [a.to_row() for a in catalog.analytics.values()],
        "log_sources": _unique({"key": f"{ls.name}|{ls.channel}", "name": ls.name, "channel": ls.channel}
                               for ls in catalog.log_sources),
        "log_source_components": _unique({"key": f"{ls.name}|{ls.channel}", "data_component_id": ls.data_component_id}
                                         for ls in catalog.log_sources),
        "analytic_log_sources": _unique({"key": f"{ls.name}|{ls.channel}", "analytic_id": ls.analytic_id}
                                        for ls in catalog.log_sources if ls.analytic_id),
    }


def write_attack(driver: Driver, catalog: AttackCatalog, database: str | None = None, *, force: bool = False) -> bool:
    """Merge the whole catalog (tactics, techniques, revocations, v18 detection chain) in one transaction.

    Returns False (and writes nothing) when the graph already holds exactly this catalog.
    """
    rows = _rows(catalog)
    digest = hashlib.sha256(json.dumps([rows, catalog.version], sort_keys=True).encode()).hexdigest()[:16]
    if not force:
        current, _, _ = driver.execute_query(
            "MATCH (m:Meta {key: 'attack'}) RETURN m.content_hash AS h", database_=database)
        if current and current[0]["h"] == digest:
            return False

    def work(tx: ManagedTransaction) -> None:
        tx.run(CLEAR).consume()
        for kind, query in STATEMENTS:
            params = {"version": catalog.version, "source": catalog.source, "hash": digest}
            tx.run(query, rows=rows.get(kind, []), **params).consume()

    with driver.session(database=database) as session:
        session.execute_write(work)
    return True


def technique_resolver_from_graph(driver: Driver, database: str | None = None) -> dict[str, tuple[str | None, str]]:
    """id -> (active id it resolves to, how) for every technique in the graph (`how` as `AttackCatalog.resolve`)."""
    table: dict[str, tuple[str | None, str]] = {}
    for r in run(driver, get_query("technique_resolution"), database=database).rows:
        if not r["revoked"] and not r["deprecated"]:
            table[r["id"]] = (r["id"], "active")
        elif r["revoked"]:
            table[r["id"]] = (r["replacement"], f"revoked→{r['replacement']}" if r["replacement"] else "revoked")
        else:
            table[r["id"]] = (None, "deprecated")
    return table
