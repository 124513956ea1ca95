"""The MITRE ATT&CK reader: a STIX bundle in, an `AttackCatalog` of typed records out (no Neo4j)."""
from __future__ import annotations

from loader.attack.catalog import build_catalog, read_attack
from loader.attack.model import (
    Analytic,
    AttackCatalog,
    DataComponent,
    DetectionStrategy,
    LogSourceRef,
    Tactic,
    Technique,
)

__all__ = [
    "read_attack",
    "build_catalog",
    "AttackCatalog",
    "Tactic",
    "Technique",
    "DetectionStrategy",
    "Analytic",
    "DataComponent",
    "LogSourceRef",
]
