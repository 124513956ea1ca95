"""Where a saved query becomes a CLI command, an API endpoint and a Browser favorite: the query catalog.

Every question is a `queries/<name>.cypher` file: a YAML header in `//` comments, then `:param` lines
with the example values (so the file pastes and runs in Neo4j Browser as is), then the Cypher:

    // ---
    // title: Technique guide
    // description: Everything rules for one technique filter on.
    // category: Techniques
    // tags: [technique, guide]
    // parameters:
    //   technique: {type: string, format: technique, example: T1609, description: ATT&CK technique id}
    //   limit: {type: integer, default: 25, example: 10, minimum: 1, maximum: 500}
    // columns: [events, fields]
    // ---
    :param technique => 'T1609';
    :param limit => 10;
    MATCH ...

`load_catalog` reads and validates every file once (unknown parameter, missing example, bad type, a
`:param` line that disagrees with the header -> `CatalogError` naming the file). `NamedQuery.bind` checks
request values (strings from a command line or a URL, or JSON values) before they reach Cypher; they are
always sent as parameters, never formatted into the text. `run` executes a query in a read transaction
with a timeout.
"""
from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from neo4j import Driver, Query, RoutingControl
from neo4j.graph import Node, Relationship
from neo4j.graph import Path as GraphPath

from graph_schema.errors import CatalogError, InvalidParameter, NotFound

__all__ = ["QUERIES_DIR", "FORMATS", "TYPES", "Parameter", "NamedQuery", "Result", "load_catalog", "get_query",
           "run", "plain", "DEFAULT_TIMEOUT_S"]

QUERIES_DIR = Path(__file__).resolve().parent
DEFAULT_TIMEOUT_S = 20.0
TYPES = ("string", "integer", "float", "boolean", "list")
VENDOR_NAMES = ("sigma", "elastic", "splunk")
FORMATS: dict[str, re.Pattern[str]] = {
    "technique": re.compile(r"T\d{4}(?:\.\d{3})?"),
    "tactic": re.compile(r"TA\d{4}|[a-z][a-z-]{2,40}"),
    "vendor": re.compile("|".join(VENDOR_NAMES)),
    "indicator": re.compile(r"[0-9a-f]{40}"),
    "event": re.compile(r"[a-z0-9][a-z0-9_.-]{0,40}:[A-Za-z0-9_./ -]{1,80}"),
    "field": re.compile(r"[^\s]{1,300}"),
    "rule": re.compile(r"[^\s]{1,300}"),
}
"""Named value formats a parameter can require (a list parameter checks each item)."""
FORMAT_HINTS = {
    "technique": "an ATT&CK technique id such as T1609 or T1059.001",
    "tactic": "a tactic id (TA0002) or shortname (execution)",
    "vendor": f"one of {', '.join(VENDOR_NAMES)}",
    "indicator": "an indicator key (40 hex digits)",
    "event": "an event key such as sysmon:1",
    "field": "a field name without spaces",
    "rule": "a rule id or vendor:rule_id",
}
_HEADER = re.compile(r"\A((?://[^\n]*\n)+)")
_PARAM_LINE = re.compile(r"^:param\s+(\w+)\s*=>\s*(.+?);?\s*$")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass(frozen=True, slots=True)
class Parameter:
    """One declared parameter of a named query."""

    name: str
    type: str
    example: Any
    default: Any = None
    required: bool = False
    description: str = ""
    format: str | None = None
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def coerce(self, raw: Any) -> Any:
        """`raw` (a string from a CLI / URL, or a JSON value) as this parameter's type; `InvalidParameter` if not."""
        if self.type == "list":
            items = raw if isinstance(raw, list) else [s for s in str(raw).split(",") if s.strip()]
            return [self._check(str(item).strip()) for item in items]
        if self.type == "boolean":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise self._error(raw, "true or false")
        if self.type in ("integer", "float"):
            try:
                number: float = int(raw) if self.type == "integer" else float(raw)
            except (TypeError, ValueError):
                raise self._error(raw, f"an {self.type}" if self.type == "integer" else "a number") from None
            if isinstance(raw, bool) or (isinstance(number, float) and not math.isfinite(number)):
                raise self._error(raw, "a finite number")
            if self.minimum is not None and number < self.minimum or \
                    self.maximum is not None and number > self.maximum:
                raise self._error(raw, f"between {self.minimum:g} and {self.maximum:g}")
            return self._check_choice(number)
        return self._check(raw if isinstance(raw, str) else str(raw))

    def _check(self, text: str) -> str:
        if len(text) > 2000:
            raise self._error(text[:40] + "...", "at most 2000 characters")
        if self.format is not None and not FORMATS[self.format].fullmatch(text):
            raise self._error(text, FORMAT_HINTS[self.format])
        return self._check_choice(text)

    def _check_choice(self, value: Any) -> Any:
        if self.choices and value not in self.choices:
            raise self._error(value, f"one of {', '.join(map(str, self.choices))}")
        return value

    def _error(self, raw: Any, wanted: str) -> InvalidParameter:
        shown = str(raw) if len(str(raw)) <= 60 else str(raw)[:57] + "..."
        return InvalidParameter(f"parameter {self.name!r}: {shown!r} is not {wanted}")


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A saved question: metadata, parameters and the Cypher (without the Browser `:param` lines)."""

    name: str
    title: str
    description: str
    category: str
    cypher: str
    text: str  # the whole file: what Neo4j Browser runs
    path: Path
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    columns: tuple[str, ...] = ()

    def parameter(self, name: str) -> Parameter:
        """The declared parameter `name`; `InvalidParameter` for an unknown one."""
        for p in self.parameters:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise InvalidParameter(f"query {self.name!r} has no parameter {name!r} (parameters: {known})")

    def bind(self, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Validated parameter values: `given` (coerced), else each default; a missing required one is an error."""
        given = dict(given or {})
        values: dict[str, Any] = {}
        for name, raw in given.items():
            param = self.parameter(name)
            if raw is None or (isinstance(raw, str) and not raw.strip() and param.type != "list"):
                continue  # an empty value means "not given": the default applies
            values[name] = param.coerce(raw)
        for p in self.parameters:
            if p.name not in values:
                if p.required:
                    raise InvalidParameter(f"query {self.name!r} needs parameter {p.name!r} ({p.description or p.type};"
                                           f" e.g. {p.example})")
                values[p.name] = p.default
        return values

    def examples(self) -> dict[str, Any]:
        """Every parameter's example value."""
        return {p.name: p.example for p in self.parameters}


@dataclass(frozen=True, slots=True)
class Result:
    """What a query returned."""

    query: NamedQuery
    params: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]
    seconds: float = 0.0
    db_hits: int | None = None


def _parameter(name: str, spec: Any, where: str) -> Parameter:
    if not isinstance(spec, dict):
        raise CatalogError(f"{where}: parameter {name!r} needs a mapping (type, example, ...)")
    unknown = set(spec) - {"type", "example", "default", "required", "description", "format", "choices",
                           "minimum", "maximum"}
    if unknown:
        raise CatalogError(f"{where}: parameter {name!r} has unknown key(s) {', '.join(sorted(unknown))}")
    kind = spec.get("type")
    if kind not in TYPES:
        raise CatalogError(f"{where}: parameter {name!r} has type {kind!r}; use one of {', '.join(TYPES)}")
    if "example" not in spec:
        raise CatalogError(f"{where}: parameter {name!r} has no example")
    fmt = spec.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise CatalogError(f"{where}: parameter {name!r} has format {fmt!r}; use one of {', '.join(FORMATS)}")
    param = Parameter(name, kind, spec["example"], spec.get("default"), bool(spec.get("required", False)),
                      str(spec.get("description") or ""), fmt, tuple(spec.get("choices") or ()),
                      spec.get("minimum"), spec.get("maximum"))
    try:
        param.coerce(param.example)
        if param.default is not None:
            param.coerce(param.default)
    except InvalidParameter as exc:
        raise CatalogError(f"{where}: {exc.message} (example/default)") from None
    if param.default is None and not param.required and kind == "integer":
        raise CatalogError(f"{where}: integer parameter {name!r} needs a default or `required: true`")
    return param


def parse_query_file(path: Path) -> NamedQuery:
    """One `.cypher` file -> `NamedQuery`; `CatalogError` naming the file for anything malformed."""
    where = f"{path.name}"
    text = path.read_text(encoding="utf-8")
    head = _HEADER.match(text)
    if head is None:
        raise CatalogError(f"{where}: no `// ---` header")
    lines = [ln[2:] for ln in head.group(1).splitlines()]
    if not lines or lines[0].strip() != "---" or "---" not in (ln.strip() for ln in lines[1:]):
        raise CatalogError(f"{where}: the header must start and end with `// ---`")
    end = 1 + [ln.strip() for ln in lines[1:]].index("---")
    try:
        meta = yaml.safe_load("\n".join(ln[1:] if ln.startswith(" ") else ln for ln in lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise CatalogError(f"{where}: header is not YAML: {' '.join(str(exc).split())}") from None
    unknown = set(meta) - {"name", "title", "description", "category", "tags", "parameters", "columns"}
    if unknown:
        raise CatalogError(f"{where}: unknown header key(s) {', '.join(sorted(unknown))}")
    for key in ("title", "description", "category"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise CatalogError(f"{where}: header needs a {key}")
    name = str(meta.get("name") or path.stem)
    if name != path.stem:
        raise CatalogError(f"{where}: name {name!r} differs from the file name")
    raw_params = meta.get("parameters") or {}
    if not isinstance(raw_params, dict):
        raise CatalogError(f"{where}: parameters must be a mapping of name -> spec")
    params = tuple(_parameter(str(n), s, where) for n, s in raw_params.items())
    body_lines = text[head.end():].splitlines()
    declared: dict[str, str] = {}
    cypher_lines = []
    for ln in body_lines:
        m = _PARAM_LINE.match(ln.strip())
        if m:
            declared[m.group(1)] = m.group(2)
        elif ln.strip().startswith(":"):
            raise CatalogError(f"{where}: only `:param` Browser commands may stand before the Cypher: {ln.strip()}")
        else:
            cypher_lines.append(ln)
    names = {p.name for p in params}
    if set(declared) != names:
        missing, extra = sorted(names - set(declared)), sorted(set(declared) - names)
        raise CatalogError(f"{where}: `:param` lines must declare exactly the header's parameters"
                           + (f"; missing {', '.join(missing)}" if missing else "")
                           + (f"; not in the header {', '.join(extra)}" if extra else ""))
    for p in params:
        if declared[p.name] != json.dumps(p.example):
            raise CatalogError(f"{where}: `:param {p.name} => {declared[p.name]}` must be the example "
                               f"{json.dumps(p.example)}")
    cypher = "\n".join(cypher_lines).strip()
    if not cypher:
        raise CatalogError(f"{where}: no Cypher after the header")
    for used in set(re.findall(r"\$(\w+)", cypher)) - names:
        raise CatalogError(f"{where}: the Cypher uses ${used}, which the header does not declare")
    tags = meta.get("tags") or []
    columns = meta.get("columns") or []
    if not isinstance(tags, list) or not isinstance(columns, list) or not columns:
        raise CatalogError(f"{where}: tags and columns must be lists (columns: what the query returns)")
    return NamedQuery(name, meta["title"].strip(), " ".join(meta["description"].split()), meta["category"].strip(),
                      cypher, text, path, tuple(map(str, tags)), params, tuple(map(str, columns)))


@cache
def load_catalog(directory: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """Every named query of `directory`, by name (read and validated once per process)."""
    return {q.name: q for q in (parse_query_file(p) for p in sorted(Path(directory).glob("*.cypher")))}


def get_query(name: str) -> NamedQuery:
    """The named query `name`; `NotFound` listing what exists otherwise."""
    catalog = load_catalog()
    if name not in catalog:
        raise NotFound(f"no saved query {name!r}; `detgraph reports` lists them")
    return catalog[name]


def run(driver: Driver, query: NamedQuery, params: dict[str, Any] | None = None, *, database: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S, bound: bool = False, profile: bool = False) -> Result:
    """Run `query` in a read transaction with a timeout; `params` are bound first unless `bound`.

    `profile` prefixes the Cypher with `PROFILE` and reports the plan's total db hits (benchmarks).
    """
    values = params if bound and params is not None else query.bind(params)
    text = ("PROFILE " if profile else "") + query.cypher
    started = time.perf_counter()
    records, summary, keys = driver.execute_query(Query(text, timeout=timeout), values, database_=database,
                                                  routing_=RoutingControl.READ)
    seconds = time.perf_counter() - started
    hits = _db_hits(summary.profile) if profile and summary.profile else None
    rows = [{k: plain(v) for k, v in zip(keys, record.values(), strict=True)} for record in records]
    return Result(query, values, list(keys), rows, seconds, hits)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A result value as JSON-ready data: nodes `{_id, _labels, ...properties}`, relationships `{_id, _type,
    _start, _end, ...}`, paths `{nodes, relationships}`, temporal values as ISO text."""
    kind = type(value)
    if kind in _SCALARS:  # most values of a result: answer them before any isinstance test
        return value
    if kind is list:
        return [plain(v) for v in value]
    if kind is dict:
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, Node):
        return {"_id": value.element_id, "_labels": sorted(value.labels), **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, Relationship):
        return {"_id": value.element_id, "_type": value.type, "_start": value.start_node.element_id,
                "_end": value.end_node.element_id, **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, GraphPath):
        return {"nodes": [plain(n) for n in value.nodes], "relationships": [plain(r) for r in value.relationships]}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value


def _db_hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_db_hits(c) for c in plan.get("children", []))

