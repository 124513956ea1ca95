"""The robustness table of `graph_schema/robustness.yml`: canonical field -> Summiting-the-Pyramid level.

Read and validated once per load, like the field maps: every field it names must be canonical (ECS 9.5
or a declared extension), every level one of 1-5, every operator canonical, and a field is rated once.
`loader/normalize/robustness.py` applies it; docs/robustness.md explains the levels and the rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph_schema.errors import ConfigError
from graph_schema.event_catalog import LAYERS
from graph_schema.field_catalog import FieldCatalog, read_yaml

__all__ = ["ROBUSTNESS_PATH", "LEVELS", "Rating", "BypassRules", "RobustnessTable"]

ROBUSTNESS_PATH = Path(__file__).with_name("robustness.yml")
LEVELS = (1, 2, 3, 4, 5)
DEFAULT_KEYS = ("field", "unmapped", "keyword", "event_only", "no_predicates")


@dataclass(frozen=True, slots=True)
class Rating:
    """A level and the one-line reason for it."""

    level: int
    why: str


@dataclass(frozen=True, slots=True)
class BypassRules:
    """What makes an exclusion cheap to satisfy: user-writable folders and the fields they apply to."""

    user_writable: tuple[str, ...] = ()  # lower case, `\` separators
    path_fields: frozenset[str] = frozenset()
    name_fields: frozenset[str] = frozenset()
    command_line_fields: frozenset[str] = frozenset()


@dataclass(slots=True)
class RobustnessTable:
    """Levels per canonical field (and per field + operator), the defaults, the columns and the bypass rules."""

    level_names: dict[int, str]
    columns: dict[str, str]  # event layer -> column letter
    defaults: dict[str, Rating]
    fields: dict[str, Rating] = field(default_factory=dict)
    operators: dict[tuple[str, str], Rating] = field(default_factory=dict)
    bypass: BypassRules = field(default_factory=BypassRules)

    @classmethod
    def load(cls, catalog: FieldCatalog, operators: tuple[str, ...], path: Path = ROBUSTNESS_PATH) -> RobustnessTable:
        """Read and validate the table against the canonical field catalog and operator vocabulary."""
        doc = read_yaml(path)
        where = path.name
        names = _mapping(doc, "levels", where)
        if sorted(int(k) for k in names) != list(LEVELS):
            raise ConfigError(f"{where}: levels must name exactly the levels {LEVELS}")
        columns = {str(k): str(v) for k, v in _mapping(doc, "columns", where).items()}
        if set(columns) != set(LAYERS):
            raise ConfigError(f"{where}: columns must name exactly the event layers {', '.join(LAYERS)}")
        raw_defaults = _mapping(doc, "defaults", where)
        if set(raw_defaults) != set(DEFAULT_KEYS):
            raise ConfigError(f"{where}: defaults must be exactly {', '.join(DEFAULT_KEYS)}")
        table = cls({int(k): str(v) for k, v in names.items()}, columns,
                    {k: _rating(v, f"{where}: defaults.{k}") for k, v in raw_defaults.items()})
        for i, group in enumerate(_list(doc, "fields", where)):
            here = f"{where}: fields[{i}]"
            rating = _rating(group, here)
            for name in _names(group, here, catalog):
                if name in table.fields:
                    raise ConfigError(f"{here}: {name!r} is rated twice")
                table.fields[name] = rating
        for i, group in enumerate(_list(doc, "operators", where)):
            here = f"{where}: operators[{i}]"
            rating = _rating(group, here)
            ops = group.get("operators")
            if not isinstance(ops, list) or not ops or any(op not in operators for op in ops):
                raise ConfigError(f"{here}: operators must be a list of canonical operators ({', '.join(operators)})")
            for name in _names(group, here, catalog):
                for op in ops:
                    table.operators[(name, str(op))] = rating
        table.bypass = _bypass(_mapping(doc, "bypass", where), f"{where}: bypass", catalog)
        return table

    def rating(self, field_name: str | None, field_kind: str, operator: str) -> Rating:
        """The rating of one discriminating predicate's field (and operator)."""
        if field_name is None or field_kind == "none":
            return self.defaults["keyword"]
        found = self.operators.get((field_name, operator)) or self.fields.get(field_name)
        if found is not None:
            return found
        return self.defaults["unmapped" if field_kind == "unmapped" else "field"]


def _mapping(doc: dict[str, Any], key: str, where: str) -> dict[Any, Any]:
    value = doc.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: '{key}' must be a mapping")
    return value


def _list(doc: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = doc.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of mappings")
    return value


def _rating(raw: Any, where: str) -> Rating:
    if not isinstance(raw, dict) or raw.get("level") not in LEVELS or not str(raw.get("why") or "").strip():
        raise ConfigError(f"{where}: needs a level (one of {LEVELS}) and a why")
    return Rating(int(raw["level"]), " ".join(str(raw["why"]).split()))


def _names(group: dict[str, Any], where: str, catalog: FieldCatalog) -> list[str]:
    names = group.get("fields")
    if not isinstance(names, list) or not names:
        raise ConfigError(f"{where}: 'fields' must be a list of canonical fields")
    for name in names:
        catalog.require(str(name), where)
    return [str(n) for n in names]


def _bypass(raw: dict[str, Any], where: str, catalog: FieldCatalog) -> BypassRules:
    folders = raw.get("user_writable")
    if not isinstance(folders, list) or not folders:
        raise ConfigError(f"{where}: 'user_writable' must be a list of folder fragments")
    sets = {key: frozenset(_names({"fields": raw.get(key)}, f"{where}.{key}", catalog))
            for key in ("path_fields", "name_fields", "command_line_fields")}
    return BypassRules(tuple(str(f).lower().replace("/", "\\") for f in folders), **sets)
