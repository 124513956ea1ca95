"""Which catalog events a rule reads: one function per vendor, plus ATT&CK log sources (graph_schema/events/).

- Sigma: events whose selectors match the logsource; for a logsource naming a provider (`service:
  security`), the events of its positive `EventID` tests, else the provider's default event.
- Elastic: providers whose index patterns or datasets the rule reads, then their events whose selectors
  agree with the rule's positive `event.category` / `event.type` / `event.action` / `event.code` /
  `host.os.type` tests (a selector needs at least one of its keys tested), else the provider's default.
- Splunk: the events its data sources stand for (`data_sources/*.yml`: source + event name), and the
  `source` / `sourcetype` + `EventCode` of a raw search.
- ATT&CK: a log source's name names the provider, its channel text the events (codes and aliases).
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

from graph_schema.event_catalog import CatalogEvent, EventCatalog, Provider
from loader.model import DataSource, Operator, Predicate, Rule

__all__ = ["rule_events", "attack_log_source_events", "data_source_event", "ELASTIC_EVENT_FIELDS"]

ELASTIC_EVENT_FIELDS = {"event.category": "category", "event.type": "type", "event.action": "action",
                        "event.code": "code", "host.os.type": "os"}
_DATASET_FIELDS = ("event.dataset", "data_stream.dataset", "event.module")
_CODE_FIELDS = ("EventID", "EventCode", "event.code")
_TOKEN = re.compile(r"[A-Za-z0-9_.:/-]+")


def _positive(predicates: Iterable[Predicate], fields: Iterable[str]) -> dict[str, list[str]]:
    """Values of positive equality tests on `fields` (not negated, not exclusions), lower case."""
    wanted = set(fields)
    out: dict[str, list[str]] = {}
    for p in predicates:
        if p.field in wanted and p.value and not p.negated and not p.exclusion and p.operator is Operator.EQ:
            out.setdefault(p.field, []).append(p.value.lower())
    return out


def _dedupe(events: Iterable[CatalogEvent | None]) -> list[CatalogEvent]:
    return list({e.key: e for e in events if e is not None}.values())


def _sigma_events(rule: Rule, catalog: EventCatalog) -> list[CatalogEvent]:
    t = rule.telemetry
    logsource = {"product": (t.product or "").lower(), "category": (t.category or "").lower(),
                 "service": (t.service or "").lower()}

    def matches(selectors: tuple[dict[str, str], ...]) -> bool:
        return any(all(logsource.get(k) == v for k, v in sel.items()) for sel in selectors)

    codes = [c for values in _positive(rule.predicates, ("EventID", "EventCode")).values() for c in values]
    found: list[CatalogEvent | None] = []
    for provider in catalog.providers.values():
        found.extend(e for e in provider.events.values() if matches(e.sigma))
        if matches(provider.sigma):
            found.extend([provider.event(c) for c in codes] if codes else [provider.event(None)])
    return _dedupe(found)


def _overlap(rule_pattern: str, provider_pattern: str) -> bool:
    """Two index globs can name the same index (either matches the other as text)."""
    a, b = rule_pattern.lower(), provider_pattern.lower()
    return fnmatch.fnmatchcase(a, b) or fnmatch.fnmatchcase(b, a)


def _elastic_providers(rule: Rule, catalog: EventCatalog) -> list[Provider]:
    indexes = [i for i in rule.telemetry.index_patterns if i.strip() not in ("*", "logs-*", "-*")]
    datasets = {v for values in _positive(rule.predicates, _DATASET_FIELDS).values() for v in values}
    if datasets:  # the rule names its datasets: they decide
        return [p for p in catalog.providers.values() if any(d.lower() in datasets for d in p.elastic_dataset)]
    return [p for p in catalog.providers.values() if any(_overlap(i, pat) for i in indexes for pat in p.elastic_index)]


def _elastic_events(rule: Rule, catalog: EventCatalog) -> list[CatalogEvent]:
    tested = _positive(rule.predicates, ELASTIC_EVENT_FIELDS)
    constraints = {ELASTIC_EVENT_FIELDS[f]: set(v) for f, v in tested.items()}
    found: list[CatalogEvent | None] = []
    for provider in _elastic_providers(rule, catalog):
        if "os" in constraints and provider.platform in ("windows", "linux", "macos") \
                and provider.platform not in constraints["os"]:
            continue
        matched = [e for e in provider.events.values() if any(_agrees(sel, constraints) for sel in e.elastic)]
        found.extend(matched or [provider.event(None)])
    return _dedupe(found)


def _agrees(selector: dict[str, frozenset[str]], constraints: dict[str, set[str]]) -> bool:
    """Every key the rule tests overlaps the selector's values, and the rule tests at least one of them."""
    tested = [k for k in selector if k in constraints and k != "os"]
    return bool(tested) and all(selector[k] & constraints[k] for k in selector if k in constraints)


def data_source_event(ds: DataSource, catalog: EventCatalog) -> CatalogEvent | None:
    """The catalog event a Splunk data source stands for (its source names the provider)."""
    for name in (ds.source, ds.sourcetype):
        provider = _provider_matching(name, catalog) if name else None
        if provider is not None:
            event = provider.event(ds.event.event if ds.event else None)
            if event is not None:
                return event
    return None


def _provider_matching(name: str, catalog: EventCatalog) -> Provider | None:
    """The provider a Splunk source / sourcetype value names (a value may be a `*` glob)."""
    exact = catalog.provider_named(name)
    if exact is not None or "*" not in name:
        return exact
    low = name.lower()
    return next((p for alias, p in catalog.by_alias.items() if fnmatch.fnmatchcase(alias, low)), None)


def _splunk_events(rule: Rule, catalog: EventCatalog, data_sources: dict[str, DataSource]) -> list[CatalogEvent]:
    tested = _positive(rule.predicates, ("source", "sourcetype", *_CODE_FIELDS))
    codes = [c for f in _CODE_FIELDS for c in tested.get(f, [])]
    found: list[CatalogEvent | None] = []
    for name in rule.telemetry.data_sources:
        for part in dict.fromkeys([name, *name.split(" AND ")]):
            ds = data_sources.get(part.strip())
            if ds is None:
                continue
            if ds.event is None and codes:  # a generic source ("Windows Event Log Security") and the codes asked
                provider = next((p for v in (ds.source, ds.sourcetype) if v
                                 and (p := _provider_matching(v, catalog)) is not None), None)
                if provider is not None:
                    found.extend(provider.event(c) for c in codes)
            else:
                found.append(data_source_event(ds, catalog))
    for value in [*tested.get("source", []), *tested.get("sourcetype", [])]:
        provider = _provider_matching(value, catalog)
        if provider is not None:
            found.extend([provider.event(c) for c in codes] if codes else [provider.event(None)])
    return _dedupe(found)


def rule_events(rule: Rule, catalog: EventCatalog, data_sources: dict[str, DataSource] | None = None) -> \
        list[CatalogEvent]:
    """The catalog events `rule` reads (`data_sources`: the Splunk catalogue by name)."""
    if rule.vendor == "sigma":
        return _sigma_events(rule, catalog)
    if rule.vendor == "elastic":
        return _elastic_events(rule, catalog)
    return _splunk_events(rule, catalog, data_sources or {})


def attack_log_source_events(name: str, channel: str | None, catalog: EventCatalog) -> list[CatalogEvent]:
    """The events an ATT&CK v18 log source (`WinEventLog:Sysmon`, channel `EventCode=1`) stands for."""
    providers = [p for p in catalog.providers.values() if name.lower() in (a.lower() for a in p.attack)]
    tokens = _TOKEN.findall(channel or "")
    found: list[CatalogEvent | None] = []
    for provider in providers:
        named = [provider.event(t) for t in tokens if provider.event(t) is not None]
        found.extend(named or [provider.event(None)])
    return _dedupe(found)
