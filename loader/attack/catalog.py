"""Turns the STIX objects of an ATT&CK release into an `AttackCatalog`.

Links used (ATT&CK v18): `x-mitre-matrix.tactic_refs` orders the tactics; `revoked-by` relationships
(technique → technique) name replacements; `detects` relationships link a `x-mitre-detection-strategy`
to the technique it detects; a strategy's `x_mitre_analytic_refs` list its `x-mitre-analytic`s, whose
`x_mitre_log_source_references` name a data component, a log source `name` and a `channel`.
An object that cannot be read is skipped and reported in `AttackCatalog.issues`, never raised.
"""
from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

from graph_schema.errors import BundleError, RuleLocation
from loader.attack.bundle import read_objects
from loader.attack.model import (
    Analytic,
    AttackCatalog,
    DataComponent,
    DetectionStrategy,
    LogSourceRef,
    Tactic,
    Technique,
)

__all__ = ["read_attack", "build_catalog"]

_T = TypeVar("_T")
_Obj = dict[str, Any]
_READ_ERRORS = (KeyError, TypeError, ValueError, AttributeError)
_LINKS = {"revoked-by": "attack-pattern", "detects": "x-mitre-detection-strategy"}  # relationship -> source type
_LINKED = (  # the types whose ATT&CK ids references resolve to
    "x-mitre-tactic", "attack-pattern", "x-mitre-detection-strategy", "x-mitre-analytic", "x-mitre-data-component",
)
_ID = attrgetter("id")


def read_attack(path: Path) -> AttackCatalog:
    """Read an ATT&CK STIX bundle (.json, .json.gz or a folder of object files); raises `BundleError`."""
    path = Path(path)
    with _gc_paused():
        return build_catalog(read_objects(path), source=path.as_posix())


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: the bundle is ~500k acyclic JSON containers, and rescanning them doubles the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_catalog(objects: list[_Obj], source: str) -> AttackCatalog:
    """The catalog of STIX `objects` (as `read_objects` returns them) read from `source`."""
    by_type: dict[str, list[_Obj]] = defaultdict(list)
    for obj in objects:
        by_type[obj["type"]].append(obj)
    if not by_type["attack-pattern"]:
        raise BundleError("not an ATT&CK bundle: no attack-pattern (technique) objects", RuleLocation(source))
    ctx = _context(by_type)
    tactics = _collect(by_type["x-mitre-tactic"], _tactic, ctx)
    techniques = _collect(by_type["attack-pattern"], _technique, ctx)
    strategies = _collect(by_type["x-mitre-detection-strategy"], _strategy, ctx)
    ctx.strategy_of = {an: s.id for s in strategies for an in s.analytics}
    analytics = sorted(_collect(by_type["x-mitre-analytic"], _analytic, ctx), key=_first_id)
    components = sorted(_collect(by_type["x-mitre-data-component"], _data_component, ctx), key=_first_id)
    return AttackCatalog(
        source=source,
        version=_release(by_type["x-mitre-collection"]),
        tactics=_index(sorted(tactics, key=attrgetter("order")), ctx),
        techniques=_index(sorted((t for t in techniques if not (t.revoked or t.deprecated)), key=_ID), ctx),
        retired=_index(sorted((t for t in techniques if t.revoked or t.deprecated), key=_ID), ctx),
        revoked=dict(sorted(ctx.revoked.items())),
        strategies=_index(sorted(strategies, key=_ID), ctx),
        analytics=_index((a for a, _ in analytics), ctx),
        data_components=_index((c for c, _ in components), ctx),
        log_sources=tuple(ref for _, refs in [*analytics, *components] for ref in refs),
        issues=tuple(ctx.issues),
    )


@dataclass(slots=True)
class _Context:
    """What the converters look up, and where they report what they skip."""

    ids: dict[str, str]  # STIX id -> ATT&CK id
    order: dict[str, int]  # tactic STIX id -> matrix column
    issues: list[str] = field(default_factory=list)
    revoked: dict[str, str] = field(default_factory=dict)  # technique id -> replacement id
    detects: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # strategy id -> T ids
    strategy_of: dict[str, str] = field(default_factory=dict)  # analytic id -> strategy id

    def ref(self, stix_ref: str, owner: str) -> str | None:
        """The ATT&CK id of `stix_ref`; a dangling ref becomes an issue of `owner` and None."""
        found = self.ids.get(stix_ref)
        if found is None:
            self.issues.append(f"{owner}: {stix_ref} is not in the bundle")
        return found

    def refs(self, stix_refs: Iterable[str], owner: str) -> tuple[str, ...]:
        """The ATT&CK ids of `stix_refs` in order without repeats (dangling ones dropped, as issues)."""
        return tuple(dict.fromkeys(found for ref in stix_refs if (found := self.ref(ref, owner))))


def _context(by_type: dict[str, list[_Obj]]) -> _Context:
    """ATT&CK ids, matrix order and the `revoked-by` / `detects` links of the bundle."""
    ids = {obj["id"]: _external(obj).get("external_id") for kind in _LINKED for obj in by_type[kind]}
    ids = {stix_id: aid for stix_id, aid in ids.items() if isinstance(aid, str) and aid}
    ctx = _Context(ids=ids, order={})
    matrices = _collect(by_type["x-mitre-matrix"], lambda m, _: _strs(m.get("tactic_refs", []), "tactic_refs"), ctx)
    in_matrix = dict.fromkeys(ref for refs in matrices for ref in refs)
    outside = [t["id"] for t in by_type["x-mitre-tactic"] if t["id"] not in in_matrix]
    ctx.issues += [f"{t}: tactic not in the x-mitre-matrix tactic_refs, ordered last" for t in outside]
    ctx.order = {ref: i for i, ref in enumerate([*in_matrix, *outside])}
    links = [
        r for r in by_type["relationship"]
        if r.get("relationship_type") in _LINKS and not (r.get("revoked") or r.get("x_mitre_deprecated"))
    ]
    for rel_id, kind, source, target in _collect(links, _relationship, ctx):
        if not source.startswith(_LINKS[kind] + "--"):
            continue
        old, new = ctx.ids.get(source), ctx.ids.get(target)
        if old is None or new is None:
            ctx.issues.append(f"{rel_id}: {kind} {source} -> {target}: an end is not in the bundle")
        elif kind == "revoked-by":
            ctx.revoked[old] = new
        else:
            ctx.detects[old].append(new)
    return ctx


def _collect(objs: list[_Obj], convert: Callable[[_Obj, _Context], _T], ctx: _Context) -> list[_T]:
    """`convert` applied to each object; an object it cannot read is skipped and reported in `ctx.issues`."""
    out = []
    for obj in objs:
        try:
            out.append(convert(obj, ctx))
        except _READ_ERRORS as e:
            ctx.issues.append(f"{obj['id']}: skipped: {type(e).__name__}: {e}")
    return out


def _first_id(pair: tuple[Any, Any]) -> str:
    """The id of a (record, log sources) pair's record, to sort by."""
    return pair[0].id


def _index(records: Iterable[Any], ctx: _Context) -> dict[str, Any]:
    """Records by `id`, in the given order; a repeated id is reported and the first one kept."""
    out: dict[str, Any] = {}
    for rec in records:
        if rec.id in out:
            ctx.issues.append(f"{rec.stix_id}: skipped: {rec.id} repeats {out[rec.id].stix_id}")
        else:
            out[rec.id] = rec
    return out


def _tactic(obj: _Obj, ctx: _Context) -> Tactic:
    """An `x-mitre-tactic`, with its matrix column."""
    return Tactic(
        id=_attack_id(obj),
        shortname=_str(obj, "x_mitre_shortname"),
        name=_str(obj, "name"),
        order=ctx.order[obj["id"]],
        url=_opt_str(_external(obj), "url"),
        description=_str(obj, "description", ""),
        stix_id=obj["id"],
    )


def _technique(obj: _Obj, ctx: _Context) -> Technique:
    """An `attack-pattern`; its parent is the id before the dot (as `subtechnique-of` says in ATT&CK)."""
    tid = _attack_id(obj)
    phases = obj.get("kill_chain_phases", [])
    if not isinstance(phases, list):
        raise TypeError("kill_chain_phases is not a list")
    tactics = [p.get("phase_name") for p in phases if p.get("kill_chain_name") == "mitre-attack"]
    sub = bool(obj.get("x_mitre_is_subtechnique")) or "." in tid
    return Technique(
        id=tid,
        name=_str(obj, "name"),
        description=_str(obj, "description", ""),
        platforms=_strs(obj.get("x_mitre_platforms", []), "x_mitre_platforms"),
        tactics=_strs(tactics, "kill_chain_phases.phase_name"),
        is_subtechnique=sub,
        parent_id=tid.split(".")[0] if sub else None,
        url=_opt_str(_external(obj), "url"),
        revoked=bool(obj.get("revoked")),
        deprecated=bool(obj.get("x_mitre_deprecated")),
        version=_opt_str(obj, "x_mitre_version"),
        modified=_opt_str(obj, "modified"),
        stix_id=obj["id"],
    )


def _strategy(obj: _Obj, ctx: _Context) -> DetectionStrategy:
    """An `x-mitre-detection-strategy` with the techniques its `detects` relationships name."""
    sid = _attack_id(obj)
    return DetectionStrategy(
        id=sid,
        name=_str(obj, "name"),
        techniques=tuple(dict.fromkeys(ctx.detects.get(sid, []))),
        analytics=ctx.refs(_strs(obj.get("x_mitre_analytic_refs", []), "x_mitre_analytic_refs"), sid),
        url=_opt_str(_external(obj), "url"),
        revoked=bool(obj.get("revoked")),
        deprecated=bool(obj.get("x_mitre_deprecated")),
        version=_opt_str(obj, "x_mitre_version"),
        stix_id=obj["id"],
    )


def _analytic(obj: _Obj, ctx: _Context) -> tuple[Analytic, list[LogSourceRef]]:
    """An `x-mitre-analytic` and the log sources it references."""
    aid = _attack_id(obj)
    refs = _log_sources(obj.get("x_mitre_log_source_references", []), aid, ctx, aid)
    mutable = obj.get("x_mitre_mutable_elements", [])
    analytic = Analytic(
        id=aid,
        name=_str(obj, "name"),
        description=_str(obj, "description", ""),
        platforms=_strs(obj.get("x_mitre_platforms", []), "x_mitre_platforms"),
        strategy_id=ctx.strategy_of.get(aid),
        data_components=tuple(dict.fromkeys(r.data_component_id for r in refs)),
        mutable_fields=_strs([m.get("field") for m in mutable], "x_mitre_mutable_elements.field"),
        url=_opt_str(_external(obj), "url"),
        revoked=bool(obj.get("revoked")),
        deprecated=bool(obj.get("x_mitre_deprecated")),
        version=_opt_str(obj, "x_mitre_version"),
        stix_id=obj["id"],
    )
    return analytic, refs


def _data_component(obj: _Obj, ctx: _Context) -> tuple[DataComponent, list[LogSourceRef]]:
    """An `x-mitre-data-component` and the log sources it lists itself (`x_mitre_log_sources`)."""
    dc_id = _attack_id(obj)
    entries = [{**e, "x_mitre_data_component_ref": obj["id"]} for e in obj.get("x_mitre_log_sources") or []]
    component = DataComponent(
        id=dc_id,
        name=_str(obj, "name"),
        description=_str(obj, "description", ""),
        url=_opt_str(_external(obj), "url"),
        revoked=bool(obj.get("revoked")),
        deprecated=bool(obj.get("x_mitre_deprecated")),
        version=_opt_str(obj, "x_mitre_version"),
        stix_id=obj["id"],
    )
    return component, _log_sources(entries, None, ctx, dc_id)


def _log_sources(entries: list[_Obj], analytic_id: str | None, ctx: _Context, owner: str) -> list[LogSourceRef]:
    """`{x_mitre_data_component_ref, name, channel}` entries as refs; a dangling component is an issue."""
    refs = []
    for entry in entries:
        component = ctx.ref(entry["x_mitre_data_component_ref"], owner)
        if component:
            name, channel = _strs([entry["name"], entry["channel"]], "log source name/channel")
            refs.append(LogSourceRef(component, name, channel, analytic_id))
    return refs


def _release(collections: list[_Obj]) -> str | None:
    """The ATT&CK release (`18.1`) from an `x-mitre-collection`; the mitre/cti bundles carry none."""
    return next((str(c["x_mitre_version"]) for c in collections if c.get("x_mitre_version")), None)


def _relationship(obj: _Obj, ctx: _Context) -> tuple[str, str, str, str]:
    """A relationship as (id, type, source STIX id, target STIX id)."""
    return obj["id"], *_strs([obj["relationship_type"], obj["source_ref"], obj["target_ref"]], "relationship")


def _external(obj: _Obj) -> dict[str, Any]:
    """The object's `mitre-attack` external reference (ATT&CK id and url), or {}."""
    refs = obj.get("external_references")
    if not isinstance(refs, list):
        return {}
    return next((r for r in refs if isinstance(r, dict) and r.get("source_name") == "mitre-attack"), {})


def _attack_id(obj: _Obj) -> str:
    """The ATT&CK id (`T1059.001`, `TA0002`, `DET0065`...) of an object that must have one."""
    return _str(_external(obj), "external_id")


def _str(obj: _Obj, key: str, default: str | None = None) -> str:
    """`obj[key]` as a string (`default` when absent, if given)."""
    value = obj.get(key, default)
    if value is None:
        raise ValueError(f"no {key}")
    if not isinstance(value, str):
        raise TypeError(f"{key} is not a string")
    return value


def _opt_str(obj: _Obj, key: str) -> str | None:
    """`obj[key]` as a string, or None when absent."""
    return _str(obj, key) if obj.get(key) is not None else None


def _strs(values: Any, what: str) -> tuple[str, ...]:
    """`values` as a tuple of strings, or TypeError naming `what`."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{what} is not a list of strings")
    return tuple(values)
