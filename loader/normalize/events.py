"""Which catalog events a rule reads: one function per vendor, plus ATT&CK log sources (graph_schema/events/).

- Sigma: events whose selectors match the logsource; for a logsource naming a provider (`service:
  security`), the events of its positive `EventID` tests; without one, the events its positive tests of
  an event-naming field name (`type: EXECVE` of auditd, `eventName: ConsoleLogin` of CloudTrail), else
  the provider's default event.
- Elastic: providers whose datasets the rule tests (`event.dataset`, `data_stream.dataset`,
  `event.module`), else those whose index patterns the rule reads; then their events whose selectors agree
  with the rule's positive `event.category` / `event.type` / `event.action` / `event.code` / `host.os.type`
  tests (a selector needs at least one of its keys tested; EQL `process where` is an `event.category`
  test), plus the events its positive `event.code` tests name by code. A provider none of whose events
  agree stands for its default event only when the rule names it on its own: by dataset, or by an index
  pattern no other provider shares (`winlogbeat-*`, `filebeat-*` name many providers: they bring events
  that agree, never defaults). A provider of one OS is skipped when the rule tests `host.os.type` for
  others. An index pattern of a data stream (`logs-network_traffic.dns*`) is a test of its dataset; an event
  selector may name datasets (`dataset: [network_traffic.dns]`) to pick one log of a multi-log provider.
- Splunk: the events its data sources stand for (`data_sources/*.yml`: source + event name; an event the
  provider does not list is its default event, if it has one: CloudTrail API names stand for the
  management event); a data source without an event is read by its source / sourcetype when that names
  one of the provider's events (`bro:http:json`), else, like a name the catalogue lacks ("Windows Security
  5136"), as a provider alias followed by an event ("Linux Auditd" + "Execve"); a provider named without
  an event stands for its events feeding the search's CIM data models (`cim:` in the catalog: `Suricata`
  through `Web` is its http record), else for its default event. A generic data source ("Windows Event
  Log Security") with `EventCode` tests stands for those events. Raw searches: the `source` /
  `sourcetype` (a value may be a `*` glob) names the provider, or one of its events (`bro:dns:json`);
  `EventCode` or an event-naming field the events. A search whose data sources and sources name no event
  reads the events that populate its data models (Network_Resolution, Web, Risk, ...).
- ATT&CK: a log source's name names the provider, its channel text the events (codes and aliases); when
  the channel names none, the part of the name after the provider (`auditd:EXECVE`), else the default.
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

from graph_schema.event_catalog import CatalogEvent, EventCatalog, Provider
from loader.model import DataSource, Operator, Predicate, Rule

__all__ = ["rule_events", "attack_log_source_events", "data_source_event", "ELASTIC_EVENT_FIELDS",
           "EVENT_NAME_FIELDS"]

ELASTIC_EVENT_FIELDS = {"event.category": "category", "event.type": "type", "event.action": "action",
                        "event.code": "code", "host.os.type": "os", "event.dataset": "dataset",
                        "data_stream.dataset": "dataset"}
EVENT_NAME_FIELDS = ("type", "eventName", "eventType")  # name a provider's event when no EventID is tested
_DATASET_FIELDS = ("event.dataset", "data_stream.dataset", "event.module")
_CODE_FIELDS = ("EventID", "EventCode", "event.code")
_GENERIC_INDEXES = ("*", "logs-*", "-*")
_DATA_STREAM = re.compile(r"logs-([a-z0-9_]+(?:\.[a-z0-9_]+)+)(?:-\*|\*)?")  # logs-<dataset>-<namespace>
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


def _named(provider: Provider, codes: list[str], names: list[str]) -> list[CatalogEvent | None]:
    """The events `codes` name (unknown codes: none); else those `names` name, with the default event
    when a name is not one of the provider's (an API call name stands for the default event type)."""
    if codes:
        return [provider.event(c) for c in codes]
    events = [provider.event(n) for n in names]
    return [e for e in events if e is not None] + ([provider.event(None)] if None in events or not names else [])


def _sigma_events(rule: Rule, catalog: EventCatalog) -> list[CatalogEvent]:
    t = rule.telemetry
    logsource = {"product": (t.product or "").lower(), "category": (t.category or "").lower(),
                 "service": (t.service or "").lower()}

    def matches(selectors: tuple[dict[str, str], ...]) -> bool:
        return any(all(logsource.get(k) == v for k, v in sel.items()) for sel in selectors)

    tested = _positive(rule.predicates, ("EventID", "EventCode", *EVENT_NAME_FIELDS))
    codes = [c for f in ("EventID", "EventCode") for c in tested.get(f, [])]
    names = [n for f in EVENT_NAME_FIELDS for n in tested.get(f, [])]
    found: list[CatalogEvent | None] = []
    for provider in catalog.providers.values():
        found.extend(e for e in provider.events.values() if matches(e.sigma))
        if matches(provider.sigma):
            found.extend(_named(provider, codes, names))
    return _dedupe(found)


def _overlap(rule_pattern: str, provider_pattern: str) -> bool:
    """Two index globs can name the same index (either matches the other as text)."""
    a, b = rule_pattern.lower(), provider_pattern.lower()
    return fnmatch.fnmatchcase(a, b) or fnmatch.fnmatchcase(b, a)


def _elastic_providers(rule: Rule, catalog: EventCatalog) -> dict[str, tuple[bool, set[str]]]:
    """The providers a rule reads (by id): whether the rule names it on its own, and the indexes it was
    reached through (see the module doc)."""
    datasets = {v for values in _positive(rule.predicates, _DATASET_FIELDS).values() for v in values}
    found: dict[str, tuple[bool, set[str]]] = {}
    for p in catalog.providers.values():
        via = {f"dataset:{d.lower()}" for d in p.elastic_dataset if d.lower() in datasets}
        if via:
            found[p.id] = (True, via)
    named = bool(found)
    for index in rule.telemetry.index_patterns:
        if index.strip() in _GENERIC_INDEXES:
            continue
        reached = [p.id for p in catalog.providers.values() if any(_overlap(index, pat) for pat in p.elastic_index)]
        for pid in reached:
            own, via = found.get(pid, (False, set()))
            found[pid] = (own or (len(reached) == 1 and not named), via | {index.lower()})
    return found


def _elastic_events(rule: Rule, catalog: EventCatalog) -> list[CatalogEvent]:
    constraints: dict[str, set[str]] = {}
    for f, values in _positive(rule.predicates, ELASTIC_EVENT_FIELDS).items():
        constraints.setdefault(ELASTIC_EVENT_FIELDS[f], set()).update(values)
    if datasets := _index_datasets(rule.telemetry.index_patterns):
        constraints.setdefault("dataset", set()).update(datasets)
    reached = _elastic_providers(rule, catalog)
    matched: dict[str, list[CatalogEvent]] = {}
    for pid in reached:
        provider = catalog.providers[pid]
        if "os" in constraints and provider.platform in ("windows", "linux", "macos") \
                and provider.platform not in constraints["os"]:
            continue
        events = [e for e in provider.events.values() if any(_agrees(sel, constraints) for sel in e.elastic)]
        events += [e for c in constraints.get("code", ()) if (e := provider.event(c)) is not None]
        matched[pid] = events
    found: list[CatalogEvent | None] = [e for events in matched.values() for e in events]
    for pid, events in matched.items():
        own, via = reached[pid]
        shared = any(matched[other] and reached[other][1] & via for other in matched if other != pid)
        if not events and own and not shared:
            found.append(catalog.providers[pid].event(None))
    return _dedupe(found)


def _index_datasets(patterns: Iterable[str]) -> set[str]:
    """The datasets data-stream index patterns name (`logs-network_traffic.dns*` -> network_traffic.dns)."""
    return {m.group(1) for p in patterns if (m := _DATA_STREAM.fullmatch(p.strip().lower())) is not None}


def _overlaps(values: frozenset[str], tested: set[str]) -> bool:
    """A selector's values (lower case; may be `*` globs) name one of the values a rule tests."""
    return bool(values & tested) or any(fnmatch.fnmatchcase(t, v) for v in values if "*" in v for t in tested)


def _agrees(selector: dict[str, frozenset[str]], constraints: dict[str, set[str]]) -> bool:
    """Every key the rule tests overlaps the selector's values, and the rule tests at least one of them."""
    tested = [k for k in selector if k in constraints and k != "os"]
    return bool(tested) and all(_overlaps(selector[k], constraints[k]) for k in selector if k in constraints)


def _provider_matching(name: str, catalog: EventCatalog) -> Provider | None:
    """The provider a Splunk source / sourcetype value names (a value may be a `*` glob)."""
    exact = catalog.provider_named(name)
    if exact is not None or "*" not in name:
        return exact
    low = name.lower()
    return next((p for alias, p in catalog.by_alias.items() if fnmatch.fnmatchcase(alias, low)), None)


def _source_events(provider: Provider, values: Iterable[str | None]) -> list[CatalogEvent]:
    """The events of `provider` that source / sourcetype values name (`bro:dns:json`: Zeek's dns.log)."""
    return _dedupe(provider.event(v) for v in values if v)


def _models(datamodels: Iterable[str]) -> frozenset[str]:
    """The CIM data models a search reads, lower case (`Network_Resolution.DNS` -> network_resolution)."""
    return frozenset(dm.split(".", 1)[0].lower() for dm in datamodels)


def _feeds(event: CatalogEvent, models: frozenset[str]) -> bool:
    """The event populates one of the data models."""
    return any(m.lower() in models for m in event.cim)


def _default_events(provider: Provider, models: frozenset[str]) -> list[CatalogEvent]:
    """What a provider named without an event stands for: its events feeding the search's data models
    (Suricata read through the Web data model: its http record), else its default event."""
    return [e for e in provider.events.values() if _feeds(e, models)] or _dedupe([provider.event(None)])


def _name_events(name: str, catalog: EventCatalog, models: frozenset[str] = frozenset()) -> \
        list[CatalogEvent] | None:
    """A data source name read as a provider alias and an event ("Linux Auditd Execve", "NTLM Operational
    8004,8005,8006"; an event the provider does not list: its default, see `_default_events`); None when no
    leading part of the name is a provider alias."""
    words = name.split()
    for cut in range(len(words), 0, -1):
        provider = catalog.provider_named(" ".join(words[:cut]))
        if provider is None:
            continue
        rest = " ".join(words[cut:])
        whole = provider.event(rest) if rest else None
        if whole is not None:
            return [whole]
        listed = _dedupe(provider.event(c) for c in words[-1].split(",") if c) if rest else []
        return listed or _default_events(provider, models)
    return None


def data_source_event(ds: DataSource, catalog: EventCatalog) -> CatalogEvent | None:
    """The catalog event a Splunk data source stands for (its source names the provider)."""
    events = _data_source_events(ds, catalog)
    return events[0] if events else None


def _source_providers(ds: DataSource, catalog: EventCatalog) -> list[Provider]:
    """The providers a data source's source, then sourcetype, names."""
    return [p for v in (ds.source, ds.sourcetype) if v and (p := _provider_matching(v, catalog)) is not None]


def _data_source_events(ds: DataSource, catalog: EventCatalog, models: frozenset[str] = frozenset()) -> \
        list[CatalogEvent]:
    """The provider named by the source (or sourcetype) and the event the data source names; else the
    event its source or sourcetype names; else the events its name names; else the provider's default event
    (see `_default_events`)."""
    providers = _source_providers(ds, catalog)
    if ds.event is not None:
        listed = next((e for p in providers if (e := p.event(ds.event.event)) is not None), None)
        if listed is not None:
            return [listed]
    sourced = [e for p in providers for e in _source_events(p, (ds.source, ds.sourcetype))]
    if sourced:
        return sourced
    named = _name_events(ds.name, catalog, models)
    if named:
        return named
    return _default_events(providers[0], models) if providers else []


def _splunk_events(rule: Rule, catalog: EventCatalog, data_sources: dict[str, DataSource]) -> list[CatalogEvent]:
    tested = _positive(rule.predicates, ("source", "sourcetype", *_CODE_FIELDS, *EVENT_NAME_FIELDS))
    codes = [c for f in _CODE_FIELDS for c in tested.get(f, [])]
    names = [n for f in EVENT_NAME_FIELDS for n in tested.get(f, [])]
    models = _models(rule.telemetry.datamodels)
    found: list[CatalogEvent | None] = []
    for name in rule.telemetry.data_sources:
        parts = [name] if name in data_sources else [p.strip() for p in name.split(" AND ")]
        for part in parts:
            ds = data_sources.get(part)
            if ds is None:
                found.extend(_name_events(part, catalog, models) or [])
            elif ds.event is None and codes:  # a generic source ("Windows Event Log Security") and the codes asked
                providers = _source_providers(ds, catalog)
                if providers:
                    found.extend(providers[0].event(c) for c in codes)
            else:
                found.extend(_data_source_events(ds, catalog, models))
    for value in [*tested.get("source", []), *tested.get("sourcetype", [])]:
        provider = _provider_matching(value, catalog)
        if provider is not None:
            found.extend(_source_events(provider, [value]) or _named(provider, codes, names))
    if not any(found):  # a data model search naming no source: the events feeding the model
        found.extend(e for e in catalog.events() if _feeds(e, models))
    return _dedupe(found)


def rule_events(rule: Rule, catalog: EventCatalog, data_sources: dict[str, DataSource] | None = None) -> \
        list[CatalogEvent]:
    """The catalog events `rule` reads (`data_sources`: the Splunk catalogue by name), by key: the same
    rule gives the same list in every process, whatever the order its sets of values were walked in."""
    if rule.vendor == "sigma":
        found = _sigma_events(rule, catalog)
    elif rule.vendor == "elastic":
        found = _elastic_events(rule, catalog)
    else:
        found = _splunk_events(rule, catalog, data_sources or {})
    return sorted(found, key=lambda e: e.key)


def _channel_events(provider: Provider, tokens: list[str]) -> list[CatalogEvent]:
    """The events a channel's words name (`EventCode=3, 22`, `ES_EVENT_TYPE_NOTIFY_EXEC:`, `open/read`)."""
    found = []
    for token in tokens:
        word = token.strip(":./-")
        event = provider.event(word) if word else None
        if event is None and "/" in word:
            found.extend(e for part in word.split("/") if part and (e := provider.event(part)) is not None)
        elif event is not None:
            found.append(event)
    return found


def attack_log_source_events(name: str, channel: str | None, catalog: EventCatalog) -> list[CatalogEvent]:
    """The events an ATT&CK v18 log source (`WinEventLog:Sysmon`, channel `EventCode=1`) stands for."""
    low = name.strip().lower()
    providers = [p for p in catalog.providers.values() if low in (a.lower() for a in p.attack)]
    tokens = _TOKEN.findall(channel or "")
    tail = name.split(":", 1)[1].strip() if ":" in name else ""
    found: list[CatalogEvent | None] = []
    for provider in providers:
        named: list[CatalogEvent | None] = list(_channel_events(provider, tokens))
        if not named and tail:
            named = [provider.event(tail)] if provider.event(tail) is not None else []
        found.extend(named or [provider.event(None)])
    return _dedupe(found)
