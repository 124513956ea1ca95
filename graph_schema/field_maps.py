"""Where a vendor field becomes a canonical field: the vendor field maps of `graph_schema/fields/`.

- `sigma.yml`: named `sections` (field -> canonical) and `logsources`, each a `match` on the rule's
  logsource (product / category / service), the sections it `use`s, its own `fields`, `nested` renames of
  dotted names (`requestParameters.x` -> `aws.cloudtrail.flattened.request_parameters.x`) and an optional
  `prefix` for any other plain name (`winlog.event_data`).
- `splunk.yml`: CIM `datamodels` (object -> field -> canonical: `Processes.process_name`, and a bare
  `process_name` in a search of that data model), `sources` for raw searches (matched on the `source` /
  `sourcetype` the search reads; may `use` Sigma sections such as the Sysmon ones, per `EventCode`),
  `fields` that mean one thing in any search (`EventCode`, `sourcetype`), and `datamodel_prefix`, the
  namespace of a data-model field no object map lists (`Processes.process_integrity_level` ->
  `cim.Processes.process_integrity_level`).
- Elastic fields are ECS (or an integration's own) already; `canonical.yml` covers them.

A name resolves through the explicit maps (`use`, `fields`, `nested`) of every matching entry in file order
first, and only then through the first matching entry's `prefix`, so a generic entry's catch-all never hides
a specific entry's map. A target is a canonical name, or
`{value_prefix: {"SHA256=": process.hash.sha256, ...}, default: ...}` for a field whose values name the
real field (Sysmon `Hashes`). Every target is validated against the `FieldCatalog` when the maps are
loaded: a map naming a field ECS lacks and no extension declares is a `ConfigError`, never a silent new
field; a `prefix`, a `nested` target and `datamodel_prefix` must be a declared namespace or below one.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph_schema.errors import ConfigError
from graph_schema.field_catalog import FIELDS_DIR, FieldCatalog, read_yaml

__all__ = ["ValueSplit", "Target", "MapEntry", "SigmaFieldMap", "SplunkFieldMap", "FieldMaps", "LOGSOURCE_KEYS"]

LOGSOURCE_KEYS = ("product", "category", "service")


@dataclass(frozen=True, slots=True)
class ValueSplit:
    """A field whose value starts with the name of the real field (`IMPHASH=...` -> `process.pe.imphash`)."""

    prefixes: tuple[tuple[str, str], ...]  # (value prefix, canonical field), longest first
    default: str | None

    def split(self, value: str | None) -> tuple[str | None, str | None, bool]:
        """(canonical field, the value without its prefix, whether a prefix matched); the default field and
        the value itself when none does."""
        if value is not None:
            low = value.lower()
            for prefix, target in self.prefixes:
                if low.startswith(prefix.lower()):
                    return target, value[len(prefix):], True
        return self.default, value, False


Target = str | ValueSplit


def _targets(raw: Any, where: str, catalog: FieldCatalog) -> dict[str, Target]:
    """A `{field: target}` section, validated."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of field -> canonical field")
    out: dict[str, Target] = {}
    for name, target in raw.items():
        here = f"{where}.{name}"
        if isinstance(target, str):
            catalog.require(target, here)
            out[str(name)] = target
        elif isinstance(target, dict) and isinstance(target.get("value_prefix"), dict):
            prefixes = tuple(sorted(((str(p), str(t)) for p, t in target["value_prefix"].items()),
                                    key=lambda pt: -len(pt[0])))
            for _, t in prefixes:
                catalog.require(t, here)
            default = target.get("default")
            if default is not None:
                catalog.require(str(default), here)
            out[str(name)] = ValueSplit(prefixes, str(default) if default is not None else None)
        else:
            raise ConfigError(f"{here}: a target is a canonical field name or {{value_prefix: ..., default: ...}}")
    return out


def _in_namespace(name: str, catalog: FieldCatalog) -> bool:
    """`name` is a declared extension namespace or lies below one (`zeek.dns` below `zeek`)."""
    return any(name == ns or name.startswith(ns + ".") for ns in catalog.namespaces)


def _prefix(raw: Any, where: str, catalog: FieldCatalog) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _in_namespace(raw, catalog):
        raise ConfigError(f"{where}: prefix {raw!r} is not a namespace declared in graph_schema/fields/canonical.yml"
                          f" (nor below one)")
    return raw


def _nested(raw: Any, where: str, catalog: FieldCatalog) -> tuple[tuple[str, str], ...]:
    """`{vendor prefix: canonical prefix}`: `a.b.c` under vendor prefix `a` is `<canonical prefix>.b.c`."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'nested' must map a dotted vendor prefix to a canonical prefix")
    for vendor, target in raw.items():
        if not isinstance(target, str) or not _in_namespace(target, catalog):
            raise ConfigError(f"{where}.nested.{vendor}: {target!r} is not below a namespace declared in"
                              f" graph_schema/fields/canonical.yml")
    return tuple(sorted(((str(v), str(t)) for v, t in raw.items()), key=lambda vt: -len(vt[0])))


def _sections(doc: dict[str, Any], path: Path, catalog: FieldCatalog) -> dict[str, dict[str, Target]]:
    raw = doc.get("sections") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: 'sections' must be a mapping of name -> field map")
    return {str(name): _targets(m, f"{path.name}: sections.{name}", catalog) for name, m in raw.items()}


def _use(entry: dict[str, Any], where: str, sections: dict[str, dict[str, Target]]) -> list[dict[str, Target]]:
    names = entry.get("use") or []
    if not isinstance(names, list):
        raise ConfigError(f"{where}: 'use' must be a list of section names")
    missing = [n for n in names if n not in sections]
    if missing:
        raise ConfigError(f"{where}: unknown section(s) {', '.join(map(repr, missing))}")
    return [sections[n] for n in names]


@dataclass(frozen=True, slots=True)
class MapEntry:
    """One `logsources` / `sources` entry: when it applies and the maps it brings, in order."""

    maps: tuple[dict[str, Target], ...]
    prefix: str | None = None
    nested: tuple[tuple[str, str], ...] = ()  # (vendor prefix, canonical prefix), longest first
    match: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Sigma: logsource key -> values
    patterns: tuple[str, ...] = ()  # Splunk: source / sourcetype globs
    events: dict[str, tuple[dict[str, Target], ...]] = field(default_factory=dict)  # Splunk: EventCode -> maps

    def lookup(self, name: str, codes: tuple[str, ...] = ()) -> Target | None:
        """The target this entry's explicit maps give `name` (per-event maps first, then `nested`), else None."""
        for code in codes:
            for m in self.events.get(code, ()):
                if name in m:
                    return m[name]
        for m in self.maps:
            if name in m:
                return m[name]
        flat = name.replace("{}", "")  # Splunk's JSON array marker: `target{}.type` is `target.type`
        for vendor, canonical in self.nested:
            if flat.startswith(vendor + ".") and len(flat) > len(vendor) + 1:
                return f"{canonical}.{flat[len(vendor) + 1:]}"
        return None

    def catch_all(self, name: str) -> str | None:
        """`<prefix>.<name>` for a plain name when the entry has a prefix, else None."""
        if self.prefix and _plain_name(name):
            return f"{self.prefix}.{name}"
        return None


def _plain_name(name: str) -> bool:
    """A bare event-data name (`ServiceFileName`), which a prefix namespace may take in."""
    return name.replace("_", "").replace("-", "").isalnum()


@dataclass(slots=True)
class SigmaFieldMap:
    """Sigma fields per logsource."""

    sections: dict[str, dict[str, Target]]
    entries: list[MapEntry]

    @classmethod
    def load(cls, path: Path, catalog: FieldCatalog) -> SigmaFieldMap:
        """Read and validate `sigma.yml`."""
        doc = read_yaml(path)
        sections = _sections(doc, path, catalog)
        entries = []
        for i, raw in enumerate(doc.get("logsources") or []):
            where = f"{path.name}: logsources[{i}]"
            if not isinstance(raw, dict) or not isinstance(raw.get("match"), dict):
                raise ConfigError(f"{where}: needs a 'match' mapping of product / category / service")
            unknown = set(raw["match"]) - set(LOGSOURCE_KEYS)
            if unknown:
                raise ConfigError(f"{where}: unknown logsource key(s) {', '.join(sorted(unknown))}")
            match = {k: tuple(str(x).lower() for x in (v if isinstance(v, list) else [v]))
                     for k, v in raw["match"].items()}
            maps = [*_use(raw, where, sections), _targets(raw.get("fields") or {}, f"{where}.fields", catalog)]
            entries.append(MapEntry(tuple(maps), _prefix(raw.get("prefix"), where, catalog),
                                    _nested(raw.get("nested"), where, catalog), match=match))
        return cls(sections, entries)

    def entries_for(self, logsource: dict[str, str | None]) -> list[MapEntry]:
        """The entries whose `match` the logsource satisfies, in file order."""
        low = {k: (v or "").lower() for k, v in logsource.items()}
        return [e for e in self.entries if all(low.get(k) in values for k, values in e.match.items())]


@dataclass(slots=True)
class SplunkFieldMap:
    """Splunk CIM data-model fields, raw-source fields and search-wide fields."""

    datamodels: dict[str, dict[str, Target]]
    sources: list[MapEntry]
    common: dict[str, Target]
    datamodel_prefix: str | None = None  # `<prefix>.<Object>.<field>` for a CIM field the object's map lacks

    @classmethod
    def load(cls, path: Path, catalog: FieldCatalog, sigma_sections: dict[str, dict[str, Target]]) -> SplunkFieldMap:
        """Read and validate `splunk.yml` (`use: [sigma/<section>]` reaches the Sigma sections)."""
        doc = read_yaml(path)
        sections = {**_sections(doc, path, catalog), **{f"sigma/{k}": v for k, v in sigma_sections.items()}}
        raw_dms = doc.get("datamodels") or {}
        if not isinstance(raw_dms, dict):
            raise ConfigError(f"{path.name}: 'datamodels' must map a CIM object to its fields")
        datamodels = {str(obj): _targets(m, f"{path.name}: datamodels.{obj}", catalog) for obj, m in raw_dms.items()}
        sources = []
        for i, raw in enumerate(doc.get("sources") or []):
            where = f"{path.name}: sources[{i}]"
            patterns = raw.get("match") if isinstance(raw, dict) else None
            if not isinstance(patterns, list) or not patterns:
                raise ConfigError(f"{where}: needs 'match', a list of source / sourcetype globs")
            events_raw = raw.get("events") or {}
            events = {str(code): tuple(_use({"use": names}, f"{where}.events.{code}", sections))
                      for code, names in events_raw.items()}
            maps = [*_use(raw, where, sections), _targets(raw.get("fields") or {}, f"{where}.fields", catalog)]
            sources.append(MapEntry(tuple(maps), _prefix(raw.get("prefix"), where, catalog),
                                    _nested(raw.get("nested"), where, catalog),
                                    patterns=tuple(str(p).lower() for p in patterns), events=events))
        common = _targets(doc.get("fields") or {}, f"{path.name}: fields", catalog)
        return cls(datamodels, sources, common, _prefix(doc.get("datamodel_prefix"), f"{path.name}", catalog))

    def sources_for(self, names: list[str]) -> list[MapEntry]:
        """The `sources` entries matching any of the source / sourcetype values a search reads."""
        low = [n.lower() for n in names]
        return [e for e in self.sources if any(fnmatch.fnmatchcase(n, p) for n in low for p in e.patterns)]


@dataclass(slots=True)
class FieldMaps:
    """Every vendor field map, loaded and validated once per load."""

    catalog: FieldCatalog
    sigma: SigmaFieldMap
    splunk: SplunkFieldMap

    @classmethod
    def load(cls, catalog: FieldCatalog, directory: Path = FIELDS_DIR) -> FieldMaps:
        """Read `sigma.yml` and `splunk.yml` from `directory`, validated against `catalog`."""
        sigma = SigmaFieldMap.load(directory / "sigma.yml", catalog)
        splunk = SplunkFieldMap.load(directory / "splunk.yml", catalog, sigma.sections)
        return cls(catalog, sigma, splunk)
