"""The telemetry event catalog: providers and their events, from `graph_schema/events/*.yml`.

One `Event` node per real event (`sysmon:1`, `windows-security:4688`, `esf:exec`): the Sysmon 1 that
Splunk reads as `XmlWinEventLog:Microsoft-Windows-Sysmon/Operational` and the one Sigma reads as
`process_creation` on `windows` are the same node; the vendor spellings are aliases, declared here with
the selectors that link rules to events (loader/normalize/events.py reads them):

    providers:
      - id: sysmon                        # event keys are <id>:<code>
        title: Microsoft Sysmon
        platform: windows                 # windows | linux | macos | cloud | saas | network | container | any
        aliases: [XmlWinEventLog:Microsoft-Windows-Sysmon/Operational, ...]   # Splunk source/sourcetype, channels
        attack: [WinEventLog:Sysmon]      # ATT&CK v18 log-source names
        sigma: [{product: windows, service: sysmon}]   # logsources naming the provider (events by EventID)
        elastic: {index: [logs-windows.sysmon_operational-*], dataset: [windows.sysmon_operational]}
        default: null                     # the event a source naming only the provider stands for
        events:
          - code: "1"
            title: Process creation
            layer: kernel-mode            # Summiting the Pyramid: application | user-mode | kernel-mode
            aliases: []                   # other names of the event (ES_EVENT_TYPE_NOTIFY_EXEC, ProcessRollup2)
            sigma: [{product: windows, category: process_creation}]
            elastic: [{category: [process], type: [start]}]   # keys: category, type, action, code, os, dataset
            cim: []                       # Splunk CIM data models it populates (Network_Resolution, Web, ...)
            fields: [process.executable]  # canonical fields the event carries, when a source lists them
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph_schema.errors import ConfigError
from graph_schema.field_catalog import FieldCatalog, read_yaml

__all__ = ["EVENTS_DIR", "LAYERS", "PLATFORMS", "ELASTIC_KEYS", "CatalogEvent", "Provider", "EventCatalog"]

EVENTS_DIR = Path(__file__).with_name("events")
LAYERS = ("application", "user-mode", "kernel-mode")
PLATFORMS = ("windows", "linux", "macos", "cloud", "saas", "network", "container", "any")
ELASTIC_KEYS = ("category", "type", "action", "code", "os", "dataset")
SIGMA_KEYS = ("product", "category", "service")


@dataclass(frozen=True, slots=True)
class CatalogEvent:
    """One real telemetry event."""

    provider: str
    code: str
    title: str
    layer: str | None = None
    aliases: tuple[str, ...] = ()
    sigma: tuple[dict[str, str], ...] = ()
    elastic: tuple[dict[str, frozenset[str]], ...] = ()
    fields: tuple[str, ...] = ()
    cim: tuple[str, ...] = ()  # Splunk CIM data models the event populates

    @property
    def key(self) -> str:
        """The `Event` node key."""
        return f"{self.provider}:{self.code}"


@dataclass(slots=True)
class Provider:
    """A telemetry provider (a sensor, log or API) and its events."""

    id: str
    title: str
    platform: str
    aliases: tuple[str, ...] = ()
    attack: tuple[str, ...] = ()
    sigma: tuple[dict[str, str], ...] = ()
    elastic_index: tuple[str, ...] = ()
    elastic_dataset: tuple[str, ...] = ()
    default: str | None = None
    events: dict[str, CatalogEvent] = field(default_factory=dict)  # code (lower case) -> event

    def event(self, code: str | None) -> CatalogEvent | None:
        """The event with this code or alias (case-insensitive), else the default event when `code` is None."""
        if code is None:
            return self.events.get(self.default.lower()) if self.default else None
        low = str(code).strip().lower()
        if low in self.events:
            return self.events[low]
        return next((e for e in self.events.values() if low in (a.lower() for a in e.aliases)), None)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int):
        return (str(value),)
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v) for v in value)
    raise ConfigError(f"{where}: expected a string or a list of strings")


def _sigma(value: Any, where: str) -> tuple[dict[str, str], ...]:
    out = []
    for i, sel in enumerate(value or []):
        if not isinstance(sel, dict) or not sel or set(sel) - set(SIGMA_KEYS):
            raise ConfigError(f"{where}.sigma[{i}]: a selector maps some of {', '.join(SIGMA_KEYS)} to a value")
        out.append({str(k): str(v).lower() for k, v in sel.items()})
    return tuple(out)


def _elastic(value: Any, where: str) -> tuple[dict[str, frozenset[str]], ...]:
    out = []
    for i, sel in enumerate(value or []):
        if not isinstance(sel, dict) or not sel or set(sel) - set(ELASTIC_KEYS):
            raise ConfigError(f"{where}.elastic[{i}]: a selector maps some of {', '.join(ELASTIC_KEYS)} to values")
        out.append({str(k): frozenset(s.lower() for s in _strings(v, f"{where}.elastic[{i}].{k}"))
                    for k, v in sel.items()})
    return tuple(out)


def _event(provider: str, raw: Any, where: str, fields: FieldCatalog | None) -> CatalogEvent:
    if not isinstance(raw, dict) or raw.get("code") is None or not raw.get("title"):
        raise ConfigError(f"{where}: an event needs a code and a title")
    layer = raw.get("layer")
    if layer is not None and layer not in LAYERS:
        raise ConfigError(f"{where}: layer {layer!r} is not one of {', '.join(LAYERS)}")
    carried = _strings(raw.get("fields"), f"{where}.fields")
    if fields is not None:
        for name in carried:
            fields.require(name, f"{where}.fields")
    return CatalogEvent(provider, str(raw["code"]), str(raw["title"]), layer, _strings(raw.get("aliases"), where),
                        _sigma(raw.get("sigma"), where), _elastic(raw.get("elastic"), where), carried,
                        _strings(raw.get("cim"), f"{where}.cim"))


def _provider(raw: Any, where: str, fields: FieldCatalog | None) -> Provider:
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("title"):
        raise ConfigError(f"{where}: a provider needs an id and a title")
    pid = str(raw["id"])
    if raw.get("platform") not in PLATFORMS:
        raise ConfigError(f"{where} ({pid}): platform {raw.get('platform')!r} is not one of {', '.join(PLATFORMS)}")
    elastic = raw.get("elastic") or {}
    if not isinstance(elastic, dict) or set(elastic) - {"index", "dataset"}:
        raise ConfigError(f"{where} ({pid}): 'elastic' takes index and dataset lists")
    provider = Provider(pid, str(raw["title"]), str(raw["platform"]), _strings(raw.get("aliases"), where),
                        _strings(raw.get("attack"), where), _sigma(raw.get("sigma"), where),
                        _strings(elastic.get("index"), where), _strings(elastic.get("dataset"), where),
                        str(raw["default"]) if raw.get("default") is not None else None)
    for i, ev in enumerate(raw.get("events") or []):
        event = _event(pid, ev, f"{where} ({pid}).events[{i}]", fields)
        if event.code.lower() in provider.events:
            raise ConfigError(f"{where} ({pid}): event code {event.code!r} declared twice")
        provider.events[event.code.lower()] = event
    if provider.default is not None and provider.default.lower() not in provider.events:
        raise ConfigError(f"{where} ({pid}): default event {provider.default!r} is not one of its events")
    return provider


@dataclass(slots=True)
class EventCatalog:
    """Every provider and event, with alias lookups."""

    providers: dict[str, Provider]
    by_alias: dict[str, Provider] = field(init=False)  # id or alias (lower case) -> provider

    def __post_init__(self) -> None:
        self.by_alias = {}
        for p in self.providers.values():
            for name in (p.id, *p.aliases):
                self.by_alias.setdefault(name.lower(), p)

    @classmethod
    def load(cls, directory: Path = EVENTS_DIR, fields: FieldCatalog | None = None) -> EventCatalog:
        """Read every `*.yml` of `directory`; `fields` validates the events' field lists."""
        providers: dict[str, Provider] = {}
        for path in sorted(Path(directory).glob("*.yml")):
            doc = read_yaml(path)
            for i, raw in enumerate(doc.get("providers") or []):
                provider = _provider(raw, f"{path.name}: providers[{i}]", fields)
                if provider.id in providers:
                    raise ConfigError(f"{path.name}: provider {provider.id!r} is declared twice")
                providers[provider.id] = provider
        return cls(providers)

    def events(self) -> list[CatalogEvent]:
        """Every event, sorted by key."""
        return sorted((e for p in self.providers.values() for e in p.events.values()), key=lambda e: e.key)

    def provider_named(self, name: str) -> Provider | None:
        """The provider a source calls `name` (its id or an alias, case-insensitive)."""
        return self.by_alias.get(name.strip().lower())
