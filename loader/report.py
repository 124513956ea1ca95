"""The load report: per vendor files, rules, predicates, partial parses and failures — printed and saved as JSON."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["VendorReport", "LoadReport"]


@dataclass(slots=True)
class VendorReport:
    """What one vendor's load did."""

    vendor: str
    root: str
    commit: str | None = None
    files: int = 0
    rules: int = 0
    predicates: int = 0
    exclusions: int = 0
    partial: int = 0
    failed: int = 0
    no_predicates: int = 0  # rules with no predicates (by design or not), listed in `empty`
    written: int = 0  # rules new or changed, rewritten in the graph
    unchanged: int = 0
    removed: int = 0
    data_sources: int = 0
    parse_seconds: float = 0.0
    write_seconds: float = 0.0
    failures: list[dict[str, Any]] = field(default_factory=list)  # {path, rule_id, reason}
    partials: list[dict[str, Any]] = field(default_factory=list)  # {path, rule_id, issues}
    empty: list[dict[str, Any]] = field(default_factory=list)  # {path, rule_id, reason}
    techniques: dict[str, list[str]] = field(default_factory=dict)  # how -> tagged ids (revoked, unknown...)
    unknown_tactics: dict[str, int] = field(default_factory=dict)  # tactic tag not in ATT&CK -> rules naming it
    unknown_data_sources: dict[str, int] = field(default_factory=dict)  # data source not catalogued -> rules


@dataclass(slots=True)
class LoadReport:
    """A whole `detgraph load`."""

    started_at: str
    attack: dict[str, Any] | None = None  # {source, version, tactics, techniques, seconds}
    vendors: list[VendorReport] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def save(self, path: Path) -> None:
        """Write the report as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False))

    def summary(self) -> str:
        """The per-vendor table a person reads after a load."""
        lines = []
        if self.attack:
            a = self.attack
            release = a["version"] or "(release unknown: pass --attack-version)"
            lines.append(f"ATT&CK {release}: {a['tactics']} tactics, {a['techniques']} active techniques, "
                         f"{a['retired']} revoked/deprecated, {a['strategies']} detection strategies, "
                         f"{a['analytics']} analytics{'' if a['written'] else ' (unchanged)'} ({a['seconds']:.1f}s)")
        if self.vendors:
            head = ("vendor", "files", "rules", "predicates", "exclusions", "partial", "failed", "no-preds",
                    "written", "removed", "seconds")
            lines.append("  ".join(f"{h:>10}" for h in head))
            for v in self.vendors:
                cells = (v.vendor, v.files, v.rules, v.predicates, v.exclusions, v.partial, v.failed,
                         v.no_predicates, v.written, v.removed, f"{v.parse_seconds + v.write_seconds:.1f}")
                lines.append("  ".join(f"{c:>10}" for c in cells))
            for v in self.vendors:
                if v.unknown_tactics:
                    lines.append(f"{v.vendor}: tactic tags not in the loaded ATT&CK: "
                                 + ", ".join(f"{k} ({n} rules)" for k, n in sorted(v.unknown_tactics.items())))
                if v.unknown_data_sources:
                    names = sorted(v.unknown_data_sources)
                    lines.append(f"{v.vendor}: {len(names)} data source name(s) not in its catalogue (kept on the"
                                 f" rules, not linked): {', '.join(names[:6])}" + (" ..." if len(names) > 6 else ""))
                for how, ids in sorted(v.techniques.items()):
                    if how != "active":
                        lines.append(f"{v.vendor}: {len(ids)} technique tag(s) {how}: {', '.join(sorted(ids)[:12])}"
                                     + (" ..." if len(ids) > 12 else ""))
        lines.append(f"total {self.seconds:.1f}s")
        return "\n".join(lines)
