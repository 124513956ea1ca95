"""Measure the normalization layer on the real corpora: how many predicates reach a canonical field.

For each vendor it parses every rule (no Neo4j), normalizes its predicates (loader/normalize) and prints one
line: rules, field-bearing predicates (those naming a field; aggregates and field-less text excluded), the
share whose field is ECS, a declared extension, or unmapped, the rules linked to >= 1 catalog event, the
seconds normalization took (parsing excluded), and the rules naming a telemetry source (index, logsource,
data source, data model or a searched source / sourcetype; rules naming none, `-` in the JSON, are left out)
with the share of them linked. A last line counts the indicators rules of more than one
vendor share. `--json PATH` also writes the unmapped vendor fields (worst first) and the telemetry of rules
with no event, to work down.

Usage: python3 bench/normalize_coverage.py [--corpora ROOT] [--vendor V ...] [--json PATH]
       (ROOT defaults to ../shared/corpora relative to the repo root)
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from graph_schema.field_catalog import ecs_schema_path  # noqa: E402
from loader.base import VendorLoader  # noqa: E402
from loader.elastic import ElasticLoader  # noqa: E402
from loader.model import Rule  # noqa: E402
from loader.normalize import Normalizer  # noqa: E402
from loader.sigma import SigmaLoader  # noqa: E402
from loader.splunk import SplunkLoader  # noqa: E402

LOADERS: dict[str, type[VendorLoader]] = {"sigma": SigmaLoader, "elastic": ElasticLoader, "splunk": SplunkLoader}
FIELD_LESS = ("none", "aggregate")
"""Predicate kinds that name no vendor field (field-less text, a computed aggregate)."""


@dataclass(slots=True)
class Coverage:
    """One vendor's numbers."""

    vendor: str
    rules: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    with_events: int = 0
    naming: int = 0  # rules naming a telemetry source (their telemetry is not `-`)
    naming_with_events: int = 0
    seconds: float = 0.0
    unmapped: Counter[str] = field(default_factory=Counter)
    no_events: Counter[str] = field(default_factory=Counter)
    indicators: set[str] = field(default_factory=set)

    @property
    def with_field(self) -> int:
        """Predicates naming a field."""
        return sum(n for kind, n in self.kinds.items() if kind not in FIELD_LESS)

    def share(self, kind: str) -> float:
        """Percent of field-bearing predicates of `kind`."""
        return 100.0 * self.kinds[kind] / self.with_field if self.with_field else 0.0

    def line(self) -> str:
        """The stable one-line summary."""
        return (f"{self.vendor:<8} rules {self.rules:>6}  field predicates {self.with_field:>7}  "
                f"ecs {self.share('ecs'):5.1f}%  extension {self.share('extension'):5.1f}%  "
                f"unmapped {self.share('unmapped'):5.1f}%  rules with events {self.with_events:>6} "
                f"({100.0 * self.with_events / max(self.rules, 1):5.1f}%)  {self.seconds:6.2f} s  "
                f"rules naming telemetry {self.naming}, with events {self.naming_with_events} "
                f"({100.0 * self.naming_with_events / max(self.naming, 1):.1f}%)")


def _telemetry(rule: Rule) -> str:
    """What a rule says it reads, for the rules no event is linked to."""
    t = rule.telemetry
    if rule.vendor == "sigma":
        return "/".join(x or "-" for x in (t.product, t.category, t.service))
    if rule.vendor == "elastic":
        return ",".join(t.index_patterns[:3]) or "-"
    sources = [f"{p.field}={p.value}" for p in rule.predicates if p.field in ("source", "sourcetype") and p.value]
    return ",".join(t.data_sources[:2]) or ",".join(t.datamodels[:2]) or ",".join(sources[:2]) or "-"


def measure(vendor: str, root: Path, normalizer: Normalizer) -> Coverage:
    """Parse one vendor's corpus and normalize every rule."""
    loader = LOADERS[vendor](root)
    normalizer.use_data_sources(loader.data_sources())
    rules = [rule for path in loader.files() for rule in loader.parse_file(path).rules]
    cov = Coverage(vendor, rules=len(rules))
    start = time.perf_counter()
    for rule in rules:
        for c in normalizer.canonical(rule):
            cov.kinds[c.field_kind] += 1
            cov.indicators.add(c.key)
            if c.field_kind == "unmapped" and c.vendor_field:
                cov.unmapped[c.vendor_field] += 1
        linked, telemetry = bool(normalizer.events(rule)), _telemetry(rule)
        named = telemetry not in ("-", "-/-/-")
        cov.with_events += linked
        cov.naming += named
        cov.naming_with_events += linked and named
        if not linked:
            cov.no_events[telemetry] += 1
    cov.seconds = time.perf_counter() - start
    return cov


def shared_indicators(results: list[Coverage]) -> int:
    """Indicators used by rules of more than one vendor."""
    seen: Counter[str] = Counter()
    for cov in results:
        seen.update(cov.indicators)
    return sum(1 for n in seen.values() if n > 1)


def main(argv: list[str] | None = None) -> int:
    """Print the coverage of each vendor; exit 2 when a corpus is missing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=REPO_ROOT.parent / "shared" / "corpora",
                        help="folder holding sigma/, elastic/, splunk/ (default: %(default)s)")
    parser.add_argument("--vendor", action="append", choices=list(LOADERS), help="only this vendor (repeatable)")
    parser.add_argument("--json", type=Path, help="also write unmapped fields and event-less telemetry here")
    args = parser.parse_args(argv)
    missing = [v for v in args.vendor or LOADERS if not (args.corpora / v).is_dir()]
    if missing:
        print(f"error: no corpus for {', '.join(missing)} under {args.corpora}", file=sys.stderr)
        return 2
    normalizer = Normalizer.load(ecs_schema_path(args.corpora / "elastic"))
    results = []
    for vendor in args.vendor or LOADERS:
        results.append(measure(vendor, args.corpora / vendor, normalizer))
        print(results[-1].line(), flush=True)
    print(f"cross-vendor indicators {shared_indicators(results)}")
    if args.json:
        report = {c.vendor: {"unmapped": c.unmapped.most_common(), "no_events": c.no_events.most_common()}
                  for c in results}
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
