"""The ATT&CK catalog as typed records: tactics, techniques, detection strategies, analytics, data components.

Every record field is a primitive or a tuple of primitives, so `to_row()` gives Neo4j-ready properties.
ATT&CK ids (`TA0002`, `T1059.001`, `DET0065`, `AN0177`, `DC0032`) are the keys; `stix_id` keeps the
STIX identifier the bundle links by.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "Tactic",
    "Technique",
    "DetectionStrategy",
    "Analytic",
    "DataComponent",
    "LogSourceRef",
    "AttackCatalog",
]


class _Row:
    """Mixin giving records `to_row()`."""

    __slots__ = ()

    def to_row(self) -> dict[str, Any]:
        """Neo4j-ready properties: every field by name, tuples as lists."""
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in row.items()}


@dataclass(frozen=True, slots=True)
class Tactic(_Row):
    """An ATT&CK tactic (`TA0002`, shortname `execution`); `order` is its column in the matrix, from 0."""

    id: str
    shortname: str
    name: str
    order: int
    url: str | None
    description: str
    stix_id: str


@dataclass(frozen=True, slots=True)
class Technique(_Row):
    """An ATT&CK technique or sub-technique (`T1059`, `T1059.001`).

    `tactics` are the tactic shortnames of its `mitre-attack` kill-chain phases; `parent_id` is the
    parent technique of a sub-technique (`T1059` for `T1059.001`), else None.
    """

    id: str
    name: str
    description: str
    platforms: tuple[str, ...]
    tactics: tuple[str, ...]
    is_subtechnique: bool
    parent_id: str | None
    url: str | None
    revoked: bool
    deprecated: bool
    version: str | None
    modified: str | None
    stix_id: str


@dataclass(frozen=True, slots=True)
class DetectionStrategy(_Row):
    """An ATT&CK v18 detection strategy (`DET0065`): the techniques it `detects` and the analytics it holds."""

    id: str
    name: str
    techniques: tuple[str, ...]
    analytics: tuple[str, ...]
    url: str | None
    revoked: bool
    deprecated: bool
    version: str | None
    stix_id: str


@dataclass(frozen=True, slots=True)
class Analytic(_Row):
    """An ATT&CK v18 analytic (`AN0177`) of one detection strategy, per platform.

    `data_components` are the ids its log-source references point at (in order, without repeats);
    `mutable_fields` are the tunable parameters it names (`x_mitre_mutable_elements[].field`).
    """

    id: str
    name: str
    description: str
    platforms: tuple[str, ...]
    strategy_id: str | None
    data_components: tuple[str, ...]
    mutable_fields: tuple[str, ...]
    url: str | None
    revoked: bool
    deprecated: bool
    version: str | None
    stix_id: str


@dataclass(frozen=True, slots=True)
class DataComponent(_Row):
    """An ATT&CK data component (`DC0032` "Process Creation")."""

    id: str
    name: str
    description: str
    url: str | None
    revoked: bool
    deprecated: bool
    version: str | None
    stix_id: str


@dataclass(frozen=True, slots=True)
class LogSourceRef(_Row):
    """One log source (`name` "WinEventLog:Sysmon", `channel` "EventCode=1") for a data component.

    `analytic_id` is set when an analytic names it (`x_mitre_log_source_references`) and None when the
    data component lists it itself (`x_mitre_log_sources`). Values are kept as written.
    """

    data_component_id: str
    name: str
    channel: str
    analytic_id: str | None


@dataclass(frozen=True, slots=True)
class AttackCatalog:
    """Everything detgraph needs from one ATT&CK release, keyed by ATT&CK id.

    `tactics` iterate in matrix order; the other dicts in id order. `techniques` holds only active ones;
    `retired` the revoked and deprecated ones; `revoked` maps a revoked id to the id its `revoked-by`
    relationship names (which may itself be revoked: `resolve` follows the chain). `issues` lists the
    objects and references that could not be read, with the reason.
    """

    source: str
    version: str | None
    tactics: dict[str, Tactic]
    techniques: dict[str, Technique]
    retired: dict[str, Technique]
    revoked: dict[str, str]
    strategies: dict[str, DetectionStrategy]
    analytics: dict[str, Analytic]
    data_components: dict[str, DataComponent]
    log_sources: tuple[LogSourceRef, ...]
    issues: tuple[str, ...]

    @property
    def deprecated(self) -> frozenset[str]:
        """Ids of deprecated (and not revoked) techniques."""
        return frozenset(t.id for t in self.retired.values() if t.deprecated and not t.revoked)

    def resolve(self, technique_id: str) -> tuple[str | None, str]:
        """The active technique id a tag resolves to, and how.

        How is "active", "revoked→T…" (following `revoked-by` chains; the id is None when the chain ends
        on a technique that is not active), "deprecated", "revoked" (revoked with no replacement named)
        or "unknown". Ids are matched case-insensitively (`t1059.001`).
        """
        tid = technique_id.strip().upper()
        if tid in self.techniques:
            return tid, "active"
        chain: list[str] = []
        while tid in self.revoked and tid not in chain:
            chain.append(tid)
            tid = self.revoked[tid]
        if chain:
            return (tid if tid in self.techniques else None), f"revoked→{tid}"
        if tid in self.retired:
            return None, "revoked" if self.retired[tid].revoked else "deprecated"
        return None, "unknown"

    def strategies_for(self, technique_id: str) -> list[DetectionStrategy]:
        """The detection strategies that detect `technique_id` (exact id, no resolving)."""
        return [s for s in self.strategies.values() if technique_id in s.techniques]
