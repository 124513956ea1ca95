"""The canonical field set: ECS 9.5 plus the documented extensions of `graph_schema/fields/canonical.yml`.

ECS is read from its published flat schema (`ecs_flat.json.gz`, shipped in elastic/detection-rules under
`detection_rules/etc/ecs_schemas/<version>/`); `canonical.yml` names every namespace and field detgraph
accepts beyond it (integration fields such as `kubernetes.audit.*`, Windows event data as
`winlog.event_data.*`), the multi-field suffixes that only change case sensitivity (`.caseless`, `.text`),
and which path field holds the file name of which (`process.executable` -> `process.name`).
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph_schema.errors import ConfigError

__all__ = ["ECS_VERSION", "FIELDS_DIR", "CanonicalField", "FieldCatalog", "ecs_schema_path", "read_yaml"]

ECS_VERSION = "9.5.0"
FIELDS_DIR = Path(__file__).with_name("fields")
ECS_IN_ELASTIC = Path("detection_rules/etc/ecs_schemas") / ECS_VERSION / "ecs_flat.json.gz"
"""Where an elastic/detection-rules checkout keeps the ECS flat schema."""


def ecs_schema_path(elastic_root: Path) -> Path:
    """The ECS flat schema inside an elastic/detection-rules checkout."""
    return Path(elastic_root) / ECS_IN_ELASTIC


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from one of the catalog's data files; `ConfigError` naming the file otherwise."""
    try:
        with path.open("rb") as fh:
            data = yaml.load(fh, Loader=yaml.CSafeLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top")
    return data


@dataclass(frozen=True, slots=True)
class CanonicalField:
    """A field of the canonical set: from ECS, or from a declared extension (`namespace` names it)."""

    name: str
    kind: str  # "ecs" | "extension"
    type: str | None = None
    namespace: str | None = None


def _mapping(doc: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: '{key}' must be a mapping")
    return value


@dataclass(slots=True)
class FieldCatalog:
    """ECS fields (name -> type) and the extensions; `lookup` says whether a name is canonical."""

    ecs: dict[str, str]
    namespaces: dict[str, str] = field(default_factory=dict)  # extension namespace -> what it is
    extensions: dict[str, str] = field(default_factory=dict)  # single extension field -> what it is
    case_insensitive_suffixes: tuple[str, ...] = ()
    basenames: dict[str, str] = field(default_factory=dict)  # path field -> its file-name field
    context_fields: frozenset[str] = frozenset()  # fields that select telemetry (event.category, host.os.type)
    prefixes: tuple[str, ...] = field(init=False)  # the namespaces, longest first

    def __post_init__(self) -> None:
        self.prefixes = tuple(sorted(self.namespaces, key=len, reverse=True))

    @classmethod
    def load(cls, ecs_path: Path, canonical: Path | None = None) -> FieldCatalog:
        """Read ECS from `ecs_path` and the extensions file; every `basenames` entry must be canonical."""
        ecs = _read_ecs(Path(ecs_path))
        path = canonical or FIELDS_DIR / "canonical.yml"
        doc = read_yaml(path)
        namespaces = {str(k): str(v) for k, v in _mapping(doc, "namespaces", path).items()}
        for name in namespaces:
            if name in ecs:
                raise ConfigError(f"{path}: namespace {name!r} is an ECS field, not an extension")
        catalog = cls(
            ecs=ecs,
            namespaces=namespaces,
            extensions={str(k): str(v) for k, v in _mapping(doc, "fields", path).items()},
            case_insensitive_suffixes=tuple(str(s) for s in doc.get("case_insensitive_suffixes") or ()),
            basenames={str(k): str(v) for k, v in _mapping(doc, "basenames", path).items()},
            context_fields=frozenset(str(f) for f in doc.get("context_fields") or ()),
        )
        for name in catalog.extensions:
            if name in ecs:
                raise ConfigError(f"{path}: extension field {name!r} is already an ECS field")
        for full, base in catalog.basenames.items():
            for name in (full, base):
                catalog.require(name, f"{path}: basenames")
        for name in catalog.context_fields:
            catalog.require(name, f"{path}: context_fields")
        return catalog

    def lookup(self, name: str) -> CanonicalField | None:
        """The canonical field `name` is, or None when neither ECS nor an extension declares it."""
        if name in self.ecs:
            return CanonicalField(name, "ecs", self.ecs[name])
        if name in self.extensions:
            return CanonicalField(name, "extension", namespace=name)
        for prefix in self.prefixes:
            if name.startswith(prefix + ".") and len(name) > len(prefix) + 1:
                return CanonicalField(name, "extension", namespace=prefix)
        return None

    def require(self, name: str, where: str) -> CanonicalField:
        """`lookup(name)`, or a `ConfigError` naming `where` (a map must never invent a field)."""
        found = self.lookup(name)
        if found is None:
            raise ConfigError(f"{where}: {name!r} is neither an ECS {ECS_VERSION} field nor a declared extension"
                              f" (graph_schema/fields/canonical.yml)")
        return found

    def caseless_base(self, name: str) -> str | None:
        """`process.name.caseless` -> `process.name`: the field a case-insensitive multi-field stands for."""
        for suffix in self.case_insensitive_suffixes:
            if name.endswith(suffix) and self.lookup(name[: -len(suffix)]) is not None:
                return name[: -len(suffix)]
        return None

    def is_text(self, name: str) -> bool:
        """True for analysed text fields (matched case-insensitively by KQL / Lucene)."""
        return self.ecs.get(name) in ("text", "match_only_text")


def _read_ecs(path: Path) -> dict[str, str]:
    """ECS field name -> type, multi-fields (`process.command_line.text`) included."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            flat = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the ECS schema at {path} ({type(exc).__name__}): pass --ecs PATH to"
                          f" ecs_flat.json(.gz) of ECS {ECS_VERSION}, e.g. from an elastic/detection-rules"
                          f" checkout ({ECS_IN_ELASTIC})") from None
    if not isinstance(flat, dict) or not all(isinstance(v, dict) for v in flat.values()):
        raise ConfigError(f"{path}: not an ECS flat schema (expected {{field: {{type, ...}}}})")
    out: dict[str, str] = {}
    for name, spec in flat.items():
        out[name] = str(spec.get("type"))
        for multi in spec.get("multi_fields") or []:
            if isinstance(multi, dict) and multi.get("flat_name"):
                out[str(multi["flat_name"])] = str(multi.get("type"))
    return out
