"""The shared rule model: every vendor loader ends in these dataclasses, nothing downstream knows the vendor.

A `Rule` carries its detection logic twice: as a flat list of atomic `Predicate`s (what the graph
indexes) and as `logic`, a JSON tree whose leaves point into that list (what `rule show` prints).
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

__all__ = [
    "Operator",
    "Scope",
    "Predicate",
    "TechniqueRef",
    "EventRef",
    "Telemetry",
    "Rule",
    "LoadFailure",
    "ParsedFile",
    "QueryResult",
    "DataSource",
]


class Operator(StrEnum):
    """How a predicate compares a field with its value (vendor-neutral)."""

    EQ = "eq"
    WILDCARD = "wildcard"  # value with * or ? glob characters
    CONTAINS = "contains"
    STARTSWITH = "startswith"
    ENDSWITH = "endswith"
    REGEX_MATCH = "regex_match"
    CIDR = "cidr"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    EXISTS = "exists"  # field present; negated=True means "field absent"
    IS_NULL = "is_null"  # Sigma `field: null`, SPL isnull(), ES|QL IS NULL
    MATCH = "match"  # field-less keyword / free-text term
    FIELDREF = "fieldref"  # value names another field (Sigma |fieldref)
    LOOKUP = "lookup"  # value names a lookup table (Splunk `| lookup`)


class Scope(StrEnum):
    """What a predicate filters: raw events, an event category, a derived (aggregated) value, a lookup."""

    FILTER = "filter"
    EVENT_CATEGORY = "event_category"  # EQL `process where`, Splunk data model
    THRESHOLD = "threshold"  # after an aggregation: `count > 5` on a derived field
    LOOKUP = "lookup"


@dataclass(frozen=True, slots=True)
class Predicate:
    """One atomic test `(field, operator, value, negated)` as the rule writes it.

    `negated` is the parity of every `not` above the predicate (and its own `!=`);
    `exclusion` is true when it sits under a `not` at the top level of the rule's logic.
    """

    field: str | None
    operator: Operator
    value: str | None
    negated: bool = False
    exclusion: bool = False
    raw_value: str | None = None  # the value as written, when `value` was normalised (quotes, escapes)
    modifiers: tuple[str, ...] = ()  # Sigma modifiers, `cased`, `like~`, `in~`, TO_LOWER ...
    macro: str | None = None  # Splunk macro the predicate was expanded from
    scope: Scope = Scope.FILTER
    group: str | None = None  # Sigma selection name, EQL sequence step, SPL pipeline stage
    # FIELDREF only: how `field` compares with the field named by `value`; None is equality, else
    # STARTSWITH, ENDSWITH, CONTAINS, GT, GTE, LT or LTE (`field` startswith / > ... the other field)
    relation: Operator | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (enums as strings, tuples as lists)."""
        d = asdict(self)
        d["operator"] = str(self.operator)
        d["scope"] = str(self.scope)
        d["modifiers"] = list(self.modifiers)
        d["relation"] = str(self.relation) if self.relation is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Predicate:
        """Inverse of `to_dict`."""
        return cls(
            **{
                **d,
                "operator": Operator(d["operator"]),
                "scope": Scope(d.get("scope", "filter")),
                "modifiers": tuple(d.get("modifiers", ())),
                "relation": Operator(d["relation"]) if d.get("relation") else None,
            }
        )


@dataclass(frozen=True, slots=True)
class TechniqueRef:
    """A rule's ATT&CK tag: `T1059` or `T1059.001`, with the tactic the rule names for it if any."""

    technique_id: str
    tactic: str | None = None  # tactic shortname, e.g. "execution"


@dataclass(frozen=True, slots=True)
class EventRef:
    """A telemetry event a rule reads, as its source names it (e.g. provider "sysmon", event "1")."""

    provider: str
    event: str


@dataclass(slots=True)
class Telemetry:
    """The telemetry hints a rule's source gives, kept as written until the event catalog maps them."""

    product: str | None = None  # Sigma logsource
    category: str | None = None
    service: str | None = None
    index_patterns: list[str] = field(default_factory=list)  # Elastic index / ES|QL FROM
    integrations: list[str] = field(default_factory=list)  # Elastic related_integrations
    data_sources: list[str] = field(default_factory=list)  # Splunk data_source names
    datamodels: list[str] = field(default_factory=list)  # Splunk tstats datamodel (Endpoint.Processes)


@dataclass(slots=True)
class Rule:
    """One detection rule, vendor-neutral. `rule_id` is unique within its vendor."""

    vendor: str
    rule_id: str
    title: str
    path: str  # relative to the corpus root, forward slashes
    description: str = ""
    status: str | None = None
    deprecated: bool = False
    severity: str | None = None  # Sigma level, Elastic severity, Splunk impact-derived
    rule_type: str | None = None  # Elastic type, Splunk type, Sigma "detection"/"correlation"
    language: str | None = None  # sigma, kuery, eql, esql, lucene, spl
    query: str | None = None  # query text as written (Elastic, Splunk)
    author: str | None = None
    created: str | None = None
    modified: str | None = None
    references: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    techniques: list[TechniqueRef] = field(default_factory=list)
    tactics: list[str] = field(default_factory=list)  # tactic shortnames named without a technique
    predicates: list[Predicate] = field(default_factory=list)
    logic: dict[str, Any] | None = None  # tree: {"and"|"or": [...]}, {"not": x}, {"p": index}
    telemetry: Telemetry = field(default_factory=Telemetry)
    related_rules: list[str] = field(default_factory=list)  # rule ids a correlation rule correlates
    issues: list[str] = field(default_factory=list)  # why the parse is partial; empty = complete
    no_predicates_reason: str | None = None  # e.g. "machine_learning rule: no query by design"
    properties: dict[str, Any] = field(default_factory=dict)  # vendor extras: primitives or lists of them

    @property
    def partial(self) -> bool:
        """True when part of the rule could not be parsed (see `issues`)."""
        return bool(self.issues)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        d = asdict(self)
        d["predicates"] = [p.to_dict() for p in self.predicates]
        return d

    def content_hash(self) -> str:
        """A stable hash of everything parsed from the rule (changes when the rule changes).

        Built from the dataclass reprs, which are deterministic for a given parse and much cheaper
        than serialising `to_dict()` (this runs for every rule on every load).
        """
        blob = repr([getattr(self, f.name) for f in fields(self)]).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """A file (or one rule in it) that produced no rule, with the reason."""

    path: str
    reason: str
    rule_id: str | None = None


@dataclass(slots=True)
class ParsedFile:
    """What a vendor loader makes of one file."""

    rules: list[Rule] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)


@dataclass(slots=True)
class QueryResult:
    """What a query-language parser (KQL, EQL, ES|QL, Lucene, SPL) returns for one query."""

    predicates: list[Predicate] = field(default_factory=list)
    logic: dict[str, Any] | None = None
    issues: list[str] = field(default_factory=list)  # non-fatal: parts skipped, with reason
    sources: list[str] = field(default_factory=list)  # ES|QL FROM patterns, SPL data models


@dataclass(slots=True)
class DataSource:
    """A telemetry source a vendor catalogues (Splunk `data_sources/*.yml`)."""

    vendor: str
    name: str
    source_id: str | None = None
    source: str | None = None
    sourcetype: str | None = None
    description: str = ""
    supported_tas: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    event: EventRef | None = None
    path: str = ""
