"""The normalization layer every vendor loader writes through: one language across vendors.

`Normalizer` holds the canonical field catalog (ECS 9.5 + documented extensions), the vendor field maps
and the telemetry event catalog, loaded and validated once per load; `canonical(rule)` turns each of a
rule's predicates into a `CanonicalPredicate` (no vendor in the indicator's key) and `events(rule)` links
the rule to catalog events. Where a Sigma modifier or an SPL `where` becomes a canonical operator:
`operators.py`; where a vendor field becomes a canonical field: `fields.py` with the maps in
`graph_schema/fields/`; which events a rule reads: `events.py` with `graph_schema/events/`; how robust a
rule is and which exclusions are bypassable: `robustness.py` with `graph_schema/robustness.yml`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from graph_schema.event_catalog import EVENTS_DIR, CatalogEvent, EventCatalog
from graph_schema.field_catalog import FIELDS_DIR, FieldCatalog
from graph_schema.field_maps import FieldMaps
from graph_schema.robustness_table import ROBUSTNESS_PATH, RobustnessTable
from loader.model import DataSource, Operator, Predicate, Rule
from loader.normalize.events import data_source_event, rule_events
from loader.normalize.fields import SPLUNK_SOURCE_FIELDS, field_resolver
from loader.normalize.indicator import CanonicalPredicate, canonical_predicate, indicator_key
from loader.normalize.operators import CANONICAL_OPERATORS, comparison
from loader.normalize.robustness import Robustness, bypass_reason, rule_robustness

__all__ = ["Normalizer", "CanonicalPredicate", "CANONICAL_OPERATORS", "indicator_key", "Robustness"]


@dataclass(slots=True)
class Normalizer:
    """Canonical fields, indicators and events for any vendor's rules."""

    maps: FieldMaps
    events_catalog: EventCatalog
    version: str = ""  # changes when ECS, a field map or the event catalog changes: rules are then rewritten
    ecs_path: Path | None = None
    data_sources: dict[str, DataSource] = field(default_factory=dict)  # Splunk data sources, by name
    robustness_table: RobustnessTable | None = None  # graph_schema/robustness.yml (read by `load`)

    @classmethod
    def load(cls, ecs_path: Path) -> Normalizer:
        """Read and validate ECS, the extensions, the vendor field maps, the event catalog and the robustness table."""
        catalog = FieldCatalog.load(ecs_path)
        digest = hashlib.sha256(Path(ecs_path).read_bytes())
        for path in sorted([*FIELDS_DIR.glob("*.yml"), *EVENTS_DIR.glob("*.yml"), ROBUSTNESS_PATH]):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return cls(FieldMaps.load(catalog), EventCatalog.load(fields=catalog), digest.hexdigest()[:16], Path(ecs_path),
                   robustness_table=RobustnessTable.load(catalog, CANONICAL_OPERATORS))

    @property
    def catalog(self) -> FieldCatalog:
        """The canonical field set."""
        return self.maps.catalog

    def use_data_sources(self, sources: list[DataSource]) -> None:
        """Know a vendor's catalogued data sources (Splunk), for field meanings and events."""
        self.data_sources.update({ds.name: ds for ds in sources})

    def _sources_of(self) -> dict[str, list[str]]:
        return {name: [v for v in (ds.source, ds.sourcetype) if v] for name, ds in self.data_sources.items()}

    def canonical(self, rule: Rule) -> list[CanonicalPredicate]:
        """Every predicate of `rule`, in order, in canonical form."""
        resolve = field_resolver(self.maps, rule, self._sources_of() if rule.vendor == "splunk" else None)
        out = []
        for p in rule.predicates:
            text = rule.vendor == "elastic" and p.field is not None and self.catalog.is_text(p.field)
            out.append(canonical_predicate(p, comparison(p, rule, text_field=text), resolve, self.catalog))
        return out

    def events(self, rule: Rule) -> list[CatalogEvent]:
        """The catalog events `rule` reads."""
        return rule_events(rule, self.events_catalog, self.data_sources)

    def robustness(self, rule: Rule, canonical: list[CanonicalPredicate], events: list[CatalogEvent]) -> Robustness:
        """How robust `rule` is (its canonical predicates and events as `canonical` / `events` return them)."""
        return rule_robustness(rule, canonical, events, self._table())

    def bypass(self, predicate: CanonicalPredicate) -> str | None:
        """Why an attacker satisfies this indicator cheaply when a rule excludes it, or None."""
        return bypass_reason(predicate, self._table().bypass)

    def _table(self) -> RobustnessTable:
        if self.robustness_table is None:
            self.robustness_table = RobustnessTable.load(self.catalog, CANONICAL_OPERATORS)
        return self.robustness_table

    def data_source_event(self, ds: DataSource) -> CatalogEvent | None:
        """The catalog event a (Splunk) data source stands for."""
        return data_source_event(ds, self.events_catalog)

    def data_source_fields(self, ds: DataSource) -> list[str]:
        """The canonical fields a data source's `fields` list maps to (for field availability)."""
        rule = Rule(vendor=ds.vendor, rule_id=ds.name, title=ds.name, path=ds.path)
        rule.telemetry.data_sources = [ds.name]
        if ds.event is not None:
            rule.predicates = [Predicate("EventCode", Operator.EQ, ds.event.event)]
        resolve = field_resolver(self.maps, rule, self._sources_of())
        out = []
        for name in ds.fields:
            if name in SPLUNK_SOURCE_FIELDS:
                continue
            ref = resolve(name)
            target = ref.target
            if isinstance(target, str):
                out.append(target)
        return sorted(set(out))
