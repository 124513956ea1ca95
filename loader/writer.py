"""Writes rule rows into Neo4j: parameterised `UNWIND` batches, `MERGE` on stable keys, one transaction a batch.

A changed rule is replaced (its old relationships removed first); an unchanged rule (same content hash)
is left alone; on a full reload a rule that disappeared upstream is removed; orphans are swept.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import ClientError, DatabaseError

from loader.similarity import similar_pairs

__all__ = ["GraphWriter", "batched"]

RULE_BATCH = 1000

MERGE_RULES = """
UNWIND $rows AS r
MERGE (rule:Rule {uid: r.uid})
SET rule = r.props
WITH rule, r
MERGE (v:Vendor {name: r.props.vendor})
MERGE (rule)-[:FROM_VENDOR]->(v)
"""

CLEAR_RULE_LINKS = """
UNWIND $rows AS uid
MATCH (rule:Rule {uid: uid})-[x:HAS_PREDICATE|DETECTS|TAGGED_TACTIC|USES_EVENT|READS|CORRELATES]->()
DELETE x
"""

EXISTING_INDICATORS = "UNWIND $keys AS k MATCH (i:Indicator {key: k}) RETURN k"

MERGE_FIELDS = """
UNWIND $rows AS f
MERGE (field:Field {name: f.canonical})
SET field.kind = f.kind
MERGE (vf:VendorField {key: f.vendor_field})
  ON CREATE SET vf.vendor = f.vendor, vf.name = f.field, vf.logsource = f.field_scope
MERGE (vf)-[:MAPS_TO]->(field)
"""

CREATE_INDICATORS = """
UNWIND $rows AS p
CREATE (i:Indicator {key: p.key, field: p.field, field_kind: p.field_kind, operator: p.operator, value: p.value,
                     qualifiers: p.qualifiers, context: p.context, bypassable: p.bypass_reason IS NOT NULL,
                     bypass_reason: p.bypass_reason})
WITH i, p WHERE p.field IS NOT NULL
MATCH (f:Field {name: p.field})
CREATE (i)-[:ON_FIELD]->(f)
"""

UPDATE_INDICATORS = """
UNWIND $rows AS p
MATCH (i:Indicator {key: p.key})
SET i.field_kind = p.field_kind, i.qualifiers = p.qualifiers, i.context = p.context,
    i.bypassable = p.bypass_reason IS NOT NULL, i.bypass_reason = p.bypass_reason
"""

LINK_WRITTEN_AS = """
UNWIND $rows AS w
MATCH (i:Indicator {key: w.key}), (vf:VendorField {key: w.vendor_field})
MERGE (i)-[:WRITTEN_AS]->(vf)
"""

CREATE_PREDICATES = """
UNWIND $rows AS r
MATCH (rule:Rule {uid: r.uid})
UNWIND r.predicates AS p
MATCH (i:Indicator {key: p.key})
CREATE (rule)-[h:HAS_PREDICATE]->(i)
SET h = p.rel
"""

LINK_TECHNIQUES = """
UNWIND $rows AS t
MATCH (rule:Rule {uid: t.uid}), (tech:Technique {id: t.id})
MERGE (rule)-[d:DETECTS]->(tech)
SET d.tactics = reduce(acc = coalesce(d.tactics, []), x IN t.tactics | CASE WHEN x IN acc THEN acc ELSE acc + x END),
    d.tagged_as = reduce(acc = coalesce(d.tagged_as, []), x IN [t.tagged_as] |
                         CASE WHEN x IN acc THEN acc ELSE acc + x END)
"""

LINK_TACTICS = """
UNWIND $rows AS t
MATCH (rule:Rule {uid: t.uid}), (ta:Tactic {shortname: t.shortname})
MERGE (rule)-[:TAGGED_TACTIC]->(ta)
"""

LINK_EVENTS = """
UNWIND $rows AS e
MATCH (rule:Rule {uid: e.uid}), (ev:Event {key: e.key})
MERGE (rule)-[:USES_EVENT]->(ev)
"""

LINK_DATA_SOURCES = """
UNWIND $rows AS d
MATCH (rule:Rule {uid: d.uid}), (ds:DataSource {key: d.key})
MERGE (rule)-[:READS]->(ds)
"""

MERGE_DATA_SOURCES = """
UNWIND $rows AS r
MERGE (ds:DataSource {key: r.key})
SET ds = r.props, ds.canonical_fields = r.event_fields
WITH ds, r
OPTIONAL MATCH (ds)-[old:PROVIDES]->()
DELETE old
WITH DISTINCT ds, r WHERE r.event IS NOT NULL
MATCH (ev:Event {key: r.event})
MERGE (ds)-[:PROVIDES]->(ev)
"""

MERGE_EVENT_CATALOG = """
UNWIND $providers AS p
MERGE (pr:Provider {name: p.name})
SET pr = p
WITH collect(pr.name) AS names
MATCH (stale:Provider) WHERE NOT stale.name IN names
DETACH DELETE stale
"""

MERGE_EVENTS = """
UNWIND $events AS e
MATCH (pr:Provider {name: e.provider})
MERGE (ev:Event {key: e.key})
SET ev = e
MERGE (ev)-[:FROM_PROVIDER]->(pr)
WITH collect(ev.key) AS keys
MATCH (stale:Event) WHERE NOT stale.key IN keys
DETACH DELETE stale
"""

LINK_LOG_SOURCES = """
MATCH (:LogSource)-[old:MAPS_TO_EVENT]->(:Event) DELETE old
WITH count(*) AS cleared
UNWIND $rows AS r
MATCH (l:LogSource {key: r.log_source}), (ev:Event {key: r.event})
MERGE (l)-[:MAPS_TO_EVENT]->(ev)
"""

SELECTION_SETS = """
MATCH (r:Rule)-[h:HAS_PREDICATE]->(i:Indicator)
WHERE NOT r.deprecated AND NOT h.exclusion AND NOT i.context AND i.field_kind <> 'aggregate'
RETURN r.uid AS uid, collect(DISTINCT i.key) AS keys
"""

REPLACE_SIMILARITIES = """
MATCH (:Rule)-[old:SIMILAR_TO]->(:Rule) DELETE old
WITH count(*) AS cleared
UNWIND $rows AS p
MATCH (a:Rule {uid: p.a}), (b:Rule {uid: p.b})
CREATE (a)-[:SIMILAR_TO {jaccard: p.jaccard, shared: p.shared}]->(b)
"""

LOG_SOURCES = "MATCH (l:LogSource) RETURN l.key AS key, l.name AS name, l.channel AS channel"

EVENT_FIELDS = """
MATCH (ev:Event)
OPTIONAL MATCH (ds:DataSource)-[:PROVIDES]->(ev)
WITH ev, ds ORDER BY ds.name
WITH ev, reduce(acc = coalesce(ev.catalog_fields, []), fs IN collect(ds.canonical_fields) |
                acc + [f IN fs WHERE NOT f IN acc]) AS fields
SET ev.fields = fields
"""

LAST_PARSE = """
MATCH (r:Rule {vendor: $vendor})
WHERE r.source_digest IS NOT NULL AND r.row_format = $row_format AND r.normalization = $normalization
RETURN r.path AS path, r.source_digest AS digest, r.rule_id AS rule_id, r.predicate_count AS predicates,
       r.exclusion_count AS exclusions, r.issues AS issues, r.no_predicates_reason AS reason,
       r.technique_ids AS techniques, r.named_tactics AS tactics, r.data_sources AS data_sources
"""

LINK_CORRELATIONS = """
MATCH (c:Rule {vendor: $vendor}) WHERE size(c.related_rules) > 0
UNWIND c.related_rules AS ref
MATCH (target:Rule {vendor: $vendor}) WHERE target.rule_id = ref OR target.x_name = ref
MERGE (c)-[:CORRELATES]->(target)
"""

EXISTING_RULES = """
MATCH (r:Rule {vendor: $vendor})
RETURN r.uid AS uid, [r.content_hash, r.commit, r.row_format, r.normalization] AS version
"""

DELETE_RULES = """
UNWIND $uids AS uid
MATCH (r:Rule {uid: uid})
DETACH DELETE r
"""

SWEEP_ORPHANS = (
    "MATCH (i:Indicator)-[w:WRITTEN_AS]->(vf:VendorField) "
    "WHERE NOT EXISTS { (i)<-[h:HAS_PREDICATE]-() WHERE h.vendor_field = vf.key } DELETE w",
    "MATCH (i:Indicator) WHERE NOT (i)<-[:HAS_PREDICATE]-() DETACH DELETE i",
    "MATCH (vf:VendorField)-[m:MAPS_TO]->(f:Field) "
    "WHERE NOT EXISTS { (vf)<-[:WRITTEN_AS]-(:Indicator)-[:ON_FIELD]->(f) } DELETE m",
    "MATCH (vf:VendorField) WHERE NOT (vf)<-[:WRITTEN_AS]-() DETACH DELETE vf",
    "MATCH (f:Field) WHERE NOT (f)<-[:ON_FIELD]-() AND NOT (f)<-[:MAPS_TO]-() DETACH DELETE f",
)


def _per_vendor(target: str, vendors: Iterable[str], rules: str = "rules") -> str:
    """`, x.<prefix>_<vendor> = size([r IN rules WHERE r.vendor = '<vendor>'])` for each vendor of the registry
    (identifiers, never input)."""
    return "".join(f", {target}_{v} = size([r IN {rules} WHERE r.vendor = '{v}'])" for v in vendors if v.isidentifier())


def derived_statements(vendors: Iterable[str]) -> tuple[str, ...]:
    """What a load stores for cheap reading, recomputed after every change:

    - per indicator: corpus reach (distinct non-deprecated rules using it, overall and per vendor), `uses`
      (predicates), `techniques` (distinct techniques of the rules selecting on it, not excluding it);
    - per canonical field: rules and predicates, overall and per vendor;
    - per rule: `selection_indicators`, the distinct non-context selection indicators (for Jaccard similarity);
    and then `SIMILAR_TO` between near-duplicate rules (loader/similarity.py).
    """
    vendors = list(vendors)
    return (
        "MATCH (i:Indicator) OPTIONAL MATCH (i)<-[h:HAS_PREDICATE]-(r:Rule) WHERE NOT r.deprecated "
        "WITH i, collect(DISTINCT r) AS rules, count(h) AS uses "
        f"SET i.reach = size(rules), i.uses = uses{_per_vendor('i.reach', vendors)}, "
        "i.techniques = COUNT { MATCH (i)<-[x:HAS_PREDICATE]-(s:Rule)-[:DETECTS]->(t:Technique) "
        "WHERE NOT x.exclusion AND NOT s.deprecated RETURN DISTINCT t }",
        "MATCH (f:Field) OPTIONAL MATCH (f)<-[:ON_FIELD]-(:Indicator)<-[h:HAS_PREDICATE]-(r:Rule) "
        "WHERE NOT r.deprecated "
        "WITH f, collect(DISTINCT r) AS rules, count(h) AS predicates "
        f"SET f.rules = size(rules), f.predicates = predicates{_per_vendor('f.rules', vendors)}",
        "MATCH (r:Rule) SET r.selection_indicators = COUNT { MATCH (r)-[h:HAS_PREDICATE]->(i:Indicator) "
        "WHERE NOT h.exclusion AND NOT i.context RETURN DISTINCT i }",
    )


def batched(items: list[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive slices of `items` of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _slices(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The batch, sliced per statement: parameters cross Bolt once per statement, so each gets only its part."""
    out: dict[str, list[Any]] = {k: [] for k in ("techniques", "tactics", "events", "sources")}
    indicators: dict[str, dict[str, Any]] = {}
    fields: dict[tuple[str, str], dict[str, Any]] = {}
    written_as: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        uid, vendor = r["uid"], r["props"]["vendor"]
        for p in r["predicates"]:
            indicators.setdefault(p["key"], {k: p[k] for k in ("key", "field", "field_kind", "operator", "value",
                                                                "qualifiers", "context", "bypass_reason")})
            vf = p["vendor_field"]
            if vf:
                fields.setdefault((vf, p["field"]), {"vendor": vendor, "field": p["rel"]["field"], "vendor_field": vf,
                                                     "field_scope": p["field_scope"], "canonical": p["field"],
                                                     "kind": p["field_kind"]})
                written_as.setdefault((p["key"], vf), {"key": p["key"], "vendor_field": vf})
        out["techniques"] += [{"uid": uid, **t} for t in r["techniques"]]
        out["tactics"] += [{"uid": uid, "shortname": t} for t in r["tactics"]]
        out["events"] += [{"uid": uid, "key": k} for k in r["events"]]
        out["sources"] += [{"uid": uid, "key": k} for k in r["data_sources"]]
    out["rules"] = [{"uid": r["uid"], "props": r["props"]} for r in rows]
    out["uids"] = [r["uid"] for r in rows]
    out["indicators"] = list(indicators.values())
    out["fields"] = list(fields.values())
    out["written_as"] = list(written_as.values())
    out["predicates"] = [{"uid": r["uid"], "predicates": [{"key": p["key"], "rel": p["rel"]} for p in r["predicates"]]}
                         for r in rows if r["predicates"]]
    return out


def _write_batch(tx: ManagedTransaction, rows: list[dict[str, Any]]) -> None:
    part = _slices(rows)
    tx.run(MERGE_RULES, rows=part["rules"]).consume()
    tx.run(CLEAR_RULE_LINKS, rows=part["uids"]).consume()
    known = set(tx.run(EXISTING_INDICATORS, keys=[i["key"] for i in part["indicators"]]).value())
    new = [i for i in part["indicators"] if i["key"] not in known]
    old = [i for i in part["indicators"] if i["key"] in known]  # same key; what the layer says of it may be newer
    for query, batch in ((MERGE_FIELDS, part["fields"]), (CREATE_INDICATORS, new), (UPDATE_INDICATORS, old),
                         (LINK_WRITTEN_AS, part["written_as"]), (CREATE_PREDICATES, part["predicates"]),
                         (LINK_TECHNIQUES, part["techniques"]), (LINK_TACTICS, part["tactics"]),
                         (LINK_EVENTS, part["events"]), (LINK_DATA_SOURCES, part["sources"])):
        if batch:
            tx.run(query, rows=batch).consume()


class GraphWriter:
    """All writes of the load pipeline, against one database."""

    def __init__(self, driver: Driver, database: str | None = None) -> None:
        self.driver = driver
        self.database = database

    def run(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """One auto-committed write statement; returns its records as dicts."""
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return [r.data() for r in records]

    def existing_rules(self, vendor: str) -> dict[str, tuple[Any, ...]]:
        """uid -> (content hash, commit, row format, normalization version) of the vendor's rules in the graph."""
        return {r["uid"]: tuple(r["version"]) for r in self.run(EXISTING_RULES, vendor=vendor)}

    def write_rule_batch(self, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
        """Replace a batch of rules (node properties and every outgoing link) in one transaction.

        When Neo4j refuses the batch for its content (a value it cannot index, say), the batch is split
        and retried so that its other rules still land; returns the rows refused alone, with the reason.
        """
        try:
            with self.driver.session(database=self.database) as session:
                session.execute_write(_write_batch, rows)
            return []
        except (ClientError, DatabaseError) as exc:
            if len(rows) == 1:
                return [(rows[0], " ".join((exc.message or str(exc)).split())[:300])]
        half = len(rows) // 2
        return self.write_rule_batch(rows[:half]) + self.write_rule_batch(rows[half:])

    def write_data_sources(self, rows: list[dict[str, Any]]) -> None:
        """Merge a vendor's catalogued data sources and link each to the catalog event it stands for."""
        for batch in batched(rows, 500):
            self.run(MERGE_DATA_SOURCES, rows=batch)

    def write_event_catalog(self, providers: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        """Merge the telemetry event catalog (providers, events) and drop what the catalog no longer has."""
        with self.driver.session(database=self.database) as session:
            session.execute_write(lambda tx: (tx.run(MERGE_EVENT_CATALOG, providers=providers).consume(),
                                              tx.run(MERGE_EVENTS, events=events).consume()))

    def log_sources(self) -> list[dict[str, Any]]:
        """Every ATT&CK log source (key, name, channel)."""
        return self.run(LOG_SOURCES)

    def link_log_sources(self, rows: list[dict[str, str]]) -> None:
        """Replace the ATT&CK log source -> catalog event links."""
        self.run(LINK_LOG_SOURCES, rows=rows)

    def last_parse(self, vendor: str, row_format: int, normalization: str) -> tuple[str | None,
                                                                               dict[str, tuple[str, list[Any]]]]:
        """The vendor's parse digest at its last load and, per rule file, its digest and the facts of its rules
        (rules written in another row format or normalization are left out: their files are read again)."""
        from loader.pipeline import RuleFacts  # the pipeline's report record; imported here to avoid a cycle

        meta = self.run("MATCH (m:Meta {key: $key}) RETURN m.parse_digest AS d", key=f"parse:{vendor}")
        files: dict[str, tuple[str, list[Any]]] = {}
        for r in self.run(LAST_PARSE, vendor=vendor, row_format=row_format, normalization=normalization):
            facts = RuleFacts(r["path"], r["rule_id"], r["predicates"] or 0, r["exclusions"] or 0,
                              tuple(r["issues"] or ()), r["reason"], tuple(r["techniques"] or ()),
                              tuple(r["tactics"] or ()), tuple(r["data_sources"] or ()))
            files.setdefault(r["path"], (r["digest"], []))[1].append(facts)
        return (meta[0]["d"] if meta else None), files

    def set_source_digests(self, rows: list[dict[str, str]]) -> None:
        """Record the current digest of the files of rules that did not change (`{uid, digest}` rows)."""
        for batch in batched(rows, 1000):
            self.run("UNWIND $rows AS r MATCH (x:Rule {uid: r.uid}) SET x.source_digest = r.digest", rows=batch)

    def record_parse_digest(self, vendor: str, digest: str) -> None:
        """What the vendor's rules in the graph were read with (`loader.pipeline.parse_digest`)."""
        self.run("MERGE (m:Meta {key: $key}) SET m.parse_digest = $digest", key=f"parse:{vendor}", digest=digest)

    def new_generation(self) -> None:
        """Mark the graph as changing (`Meta {key: 'graph'}.generation`, a fresh random id): readers that
        cache answers (the API) drop them. A load marks it before its first write and again at its end, so a
        load that dies half-way still leaves a new generation."""
        self.run("MERGE (m:Meta {key: 'graph'}) SET m.generation = randomUUID()")

    def record_normalization(self, version: str, ecs_path: str, roots: dict[str, str] | None = None) -> None:
        """Note which normalization wrote the graph and where each vendor's corpus was read (`root_<vendor>`):
        `detgraph check` normalizes a draft the same way (a Splunk draft expands the corpus's macros)."""
        self.run("MERGE (m:Meta {key: 'normalization'}) SET m.version = $version, m.ecs_path = $ecs_path, m += $roots",
                 version=version, ecs_path=ecs_path, roots={f"root_{k}": v for k, v in (roots or {}).items()})

    def derive_event_fields(self) -> None:
        """Each event's `fields`: the catalog's and those of the data sources providing it (every load: the
        catalog write resets events)."""
        self.run(EVENT_FIELDS)

    def derive(self, vendors: Iterable[str]) -> None:
        """Recompute what is stored for cheap reading (`derived_statements`)."""
        for statement in derived_statements(vendors):
            self.run(statement)
        sets = {r["uid"]: set(r["keys"]) for r in self.run(SELECTION_SETS)}
        self.run(REPLACE_SIMILARITIES, rows=similar_pairs(sets))

    def link_correlations(self, vendor: str) -> None:
        """Link correlation rules to the rules they name (by rule id or by `name`)."""
        self.run(LINK_CORRELATIONS, vendor=vendor)

    def delete_rules(self, uids: Iterable[str]) -> None:
        """Remove rules (and their links) that disappeared upstream."""
        for batch in batched(sorted(uids), 1000):
            self.run(DELETE_RULES, uids=batch)

    def sweep_orphans(self) -> None:
        """Delete indicators, vendor fields and fields no rule uses any more (catalog events stay)."""
        for query in SWEEP_ORPHANS:
            self.run(query)
