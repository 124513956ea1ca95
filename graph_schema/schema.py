"""The graph model as data — labels, relationship types, constraints, indexes — and `apply_schema`.

docs/graph-model.md describes the same model for people; tests/test_schema.py checks the two agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from neo4j import Driver

__all__ = ["SCHEMA_VERSION", "NodeLabel", "NODE_LABELS", "RELATIONSHIPS", "FULLTEXT_INDEX", "apply_schema",
           "schema_version"]

SCHEMA_VERSION = 2
FULLTEXT_INDEX = "rule_text"


@dataclass(frozen=True, slots=True)
class NodeLabel:
    """A node label, the property that identifies a node of it, and the properties worth an index."""

    label: str
    key: str
    indexed: tuple[str, ...] = ()
    doc: str = ""


NODE_LABELS: tuple[NodeLabel, ...] = (
    NodeLabel("Tactic", "id", ("shortname",), "ATT&CK tactic (TA0002), with its matrix order"),
    NodeLabel("Technique", "id", ("name",), "ATT&CK technique or sub-technique (T1059, T1059.001)"),
    NodeLabel("DetectionStrategy", "id", (), "ATT&CK v18 detection strategy (DET0001)"),
    NodeLabel("Analytic", "id", (), "ATT&CK v18 analytic (AN0001)"),
    NodeLabel("DataComponent", "id", ("name",), "ATT&CK data component (DC0032)"),
    NodeLabel("LogSource", "key", ("name",), "ATT&CK log source reference: name + channel"),
    NodeLabel("Vendor", "name", (), "sigma, elastic, splunk"),
    NodeLabel("Rule", "uid", ("vendor", "rule_id", "deprecated", "robustness_level"),
              "a detection rule; uid = vendor:rule_id"),
    NodeLabel("Field", "name", ("kind",), "canonical field: ECS 9.5, a documented extension, or an unmapped one"),
    NodeLabel("VendorField", "key", ("name",), "a field as a vendor writes it; key = vendor|name"),
    NodeLabel("Indicator", "key", ("field", "operator", "reach", "bypassable"),
              "canonical field + operator + value + qualifiers, no vendor; key = hash"),
    NodeLabel("Event", "key", ("code",), "a telemetry event of the catalog; key = provider:code"),
    NodeLabel("Provider", "name", (), "a telemetry provider of the catalog (Sysmon, ESF, CloudTrail...)"),
    NodeLabel("DataSource", "key", ("name",), "a vendor-catalogued telemetry source (Splunk data_sources)"),
    NodeLabel("Meta", "key", (), "schema version, ATT&CK version, corpus provenance"),
)

# (type, from label, to label, doc)
RELATIONSHIPS: tuple[tuple[str, str, str, str], ...] = (
    ("BELONGS_TO", "Technique", "Tactic", "technique is in the tactic (kill chain phase)"),
    ("SUBTECHNIQUE_OF", "Technique", "Technique", "sub-technique to its parent"),
    ("REVOKED_BY", "Technique", "Technique", "revoked technique to its replacement"),
    ("DETECTED_BY", "Technique", "DetectionStrategy", "ATT&CK v18: the strategy detects the technique"),
    ("USES_ANALYTIC", "DetectionStrategy", "Analytic", "strategy to its analytics"),
    ("READS_LOG", "Analytic", "LogSource", "analytic to a log source it reads"),
    ("USES_COMPONENT", "Analytic", "DataComponent", "analytic to the data components its log sources carry"),
    ("OF_COMPONENT", "LogSource", "DataComponent", "log source to the data component it carries"),
    ("FROM_VENDOR", "Rule", "Vendor", "rule's vendor"),
    ("DETECTS", "Rule", "Technique", "rule's ATT&CK tag (props: tactics, tagged_as)"),
    ("TAGGED_TACTIC", "Rule", "Tactic", "a tactic the rule names"),
    ("HAS_PREDICATE", "Rule", "Indicator", "one atomic predicate (props: negated, exclusion, ...)"),
    ("ON_FIELD", "Indicator", "Field", "the canonical field an indicator tests"),
    ("WRITTEN_AS", "Indicator", "VendorField", "the field as the vendor writes it"),
    ("MAPS_TO", "VendorField", "Field", "vendor field to canonical field"),
    ("USES_EVENT", "Rule", "Event", "telemetry event the rule reads"),
    ("FROM_PROVIDER", "Event", "Provider", "event's provider"),
    ("READS", "Rule", "DataSource", "a data source the rule names"),
    ("PROVIDES", "DataSource", "Event", "the event a data source carries"),
    ("CORRELATES", "Rule", "Rule", "correlation rule to the rules it correlates"),
    ("MAPS_TO_EVENT", "LogSource", "Event", "ATT&CK log source to the catalog events it stands for"),
    ("SIMILAR_TO", "Rule", "Rule", "near-duplicate rules (props: jaccard, shared)"),
)


def _statements() -> list[str]:
    stmts: list[str] = []
    for node in NODE_LABELS:
        low = node.label.lower()
        stmts.append(
            f"CREATE CONSTRAINT {low}_{node.key} IF NOT EXISTS FOR (n:{node.label}) REQUIRE n.{node.key} IS UNIQUE"
        )
        stmts.extend(
            f"CREATE INDEX {low}_{prop} IF NOT EXISTS FOR (n:{node.label}) ON (n.{prop})" for prop in node.indexed
        )
    stmts.append(
        f"CREATE FULLTEXT INDEX {FULLTEXT_INDEX} IF NOT EXISTS FOR (n:Rule) ON EACH [n.title, n.description]"
    )
    stmts.append("CREATE INDEX has_predicate_exclusion IF NOT EXISTS FOR ()-[r:HAS_PREDICATE]-() ON (r.exclusion)")
    return stmts


_NAME = re.compile(r"CREATE (?:FULLTEXT )?(?:INDEX|CONSTRAINT) (\w+) IF NOT EXISTS")


def apply_schema(driver: Driver, database: str | None = None) -> list[str]:
    """Create every constraint and index (idempotent), drop the ones an older schema declared, and record the
    schema version; returns the DDL run."""
    stmts = _statements()
    declared = {m.group(1) for stmt in stmts if (m := _NAME.match(stmt))}
    with driver.session(database=database) as session:
        for kind in ("CONSTRAINT", "INDEX"):  # ours are all named; Neo4j's token lookup indexes are not dropped
            rows = session.run(f"SHOW {kind}ES YIELD name, type" if kind == "INDEX" else "SHOW CONSTRAINTS YIELD name")
            stale = [r["name"] for r in rows if r["name"] not in declared and r.get("type") != "LOOKUP"]
            for name in stale:
                session.run(f"DROP {kind} {name} IF EXISTS").consume()  # names read from the database itself
        for stmt in stmts:  # DDL cannot share a transaction with writes; the names are ours, not user input
            session.run(stmt).consume()
        session.run("CALL db.awaitIndexes(300)").consume()
        session.run(
            "MERGE (m:Meta {key: 'schema'}) SET m.version = $v", v=SCHEMA_VERSION
        ).consume()
    return stmts


def schema_version(driver: Driver, database: str | None = None) -> int | None:
    """The schema version recorded in the graph, or None when the schema was never applied."""
    records, _, _ = driver.execute_query(
        "MATCH (m:Meta {key: 'schema'}) RETURN m.version AS v", database_=database
    )
    return records[0]["v"] if records else None
