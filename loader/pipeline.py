"""`detgraph load`: ATT&CK first, then each vendor's files -> rules -> batched writes, with one report.

Vendor loaders only turn files into `Rule`s; everything else — batching, skipping unchanged rules,
removing rules that disappeared, resolving revoked technique ids, progress bars, the report — is here.
"""
from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import click
from neo4j import Driver

from graph_schema.errors import ConfigError
from graph_schema.event_catalog import EventCatalog
from graph_schema.field_catalog import ecs_schema_path
from graph_schema.schema import apply_schema
from loader.attack import read_attack
from loader.attack_graph import technique_resolver_from_graph, write_attack
from loader.base import VendorLoader, relative_path
from loader.model import DataSource, LoadFailure, ParsedFile, Rule
from loader.normalize import Normalizer
from loader.normalize.events import attack_log_source_events
from loader.report import LoadReport, VendorReport
from loader.rows import ROW_FORMAT, Provenance, data_source_row, rule_row, rule_uid
from loader.vendors import LOADERS
from loader.writer import RULE_BATCH, GraphWriter, batched

__all__ = ["LOADERS", "run_load", "parse_corpus", "provenance_of", "find_ecs", "write_catalogs"]

T = TypeVar("T")


@contextmanager
def _progress(items: list[T], label: str, show: bool) -> Iterator[Iterable[T]]:
    if not show:
        yield items
        return
    with click.progressbar(items, label=f"{label:<16}", file=sys.stderr, show_pos=True) as bar:
        yield bar


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def provenance_of(root: Path, loaded_at: str) -> Provenance:
    """Repository URL and commit when `root` is the top of a git checkout (e.g. made by `detgraph fetch`)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != root.resolve():
        return Provenance(loaded_at=loaded_at)
    return Provenance(_git(root, "remote", "get-url", "origin") or top, _git(root, "rev-parse", "HEAD"), loaded_at)


def parse_corpus(loader: VendorLoader, report: VendorReport, *, show_progress: bool = False) -> list[Rule]:
    """Every rule of a corpus, with failures, partial parses and duplicate ids recorded on `report`.

    Files the walk cannot use (links that loop or dangle, FIFOs, unreadable files) are failures too, and
    so is a file whose parse breaks unexpectedly: one file never stops the load.
    """
    walked = loader.walk()
    files = walked.files
    report.files = len(files)
    report.failures.extend({"path": f.path, "rule_id": None, "reason": f.reason} for f in walked.failures)
    rules: dict[str, Rule] = {}
    t0 = time.perf_counter()
    with _progress(files, f"parse {loader.vendor}", show_progress) as bar:
        for path in bar:
            parsed = _parse_file(loader, path)
            report.failures.extend({"path": f.path, "rule_id": f.rule_id, "reason": f.reason} for f in parsed.failures)
            for rule in parsed.rules:
                if rule.rule_id in rules:
                    first = rules[rule.rule_id].path
                    report.failures.append({"path": rule.path, "rule_id": rule.rule_id,
                                            "reason": f"duplicate rule id (first loaded from {first})"})
                    continue
                rules[rule.rule_id] = rule
    report.parse_seconds = time.perf_counter() - t0
    for rule in rules.values():
        report.predicates += len(rule.predicates)
        report.exclusions += sum(p.exclusion for p in rule.predicates)
        if rule.partial:
            report.partials.append({"path": rule.path, "rule_id": rule.rule_id, "issues": rule.issues})
        if not rule.predicates:
            report.empty.append({"path": rule.path, "rule_id": rule.rule_id,
                                 "reason": rule.no_predicates_reason or "; ".join(rule.issues) or "no predicates"})
    report.rules, report.partial, report.failed = len(rules), len(report.partials), len(report.failures)
    report.no_predicates = len(report.empty)
    return list(rules.values())


def _parse_file(loader: VendorLoader, path: Path) -> ParsedFile:
    """`loader.parse_file(path)`, with a loader bug or an input too deep for Python as the file's failure."""
    try:
        parsed = loader.parse_file(path)
        for rule in parsed.rules:
            rule.content_hash()  # the writer hashes every rule: a rule too deep to hash fails here, alone
        return parsed
    except (RecursionError, MemoryError) as exc:
        reason = f"content nested too deeply or too large to read ({type(exc).__name__})"
    except Exception as exc:  # a loader bug must not stop the whole load: report the file
        reason = f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    return ParsedFile(failures=[LoadFailure(relative_path(path, loader.root), reason)])


def _check_references(report: VendorReport, rules: list[Rule], techniques: dict[str, tuple[str | None, str]],
                      tactics: set[str], catalogue: list[DataSource]) -> None:
    """Note on `report` how every technique tag resolves, and the tactic tags and data sources nobody knows."""
    known_sources = {ds.name for ds in catalogue}
    for rule in rules:
        for tid in {t.technique_id for t in rule.techniques}:
            seen = report.techniques.setdefault(techniques.get(tid.upper(), (None, "unknown"))[1], [])
            if tid not in seen:
                seen.append(tid)
        for name in set(rule.tactics) | {t.tactic for t in rule.techniques if t.tactic}:
            if name not in tactics:
                report.unknown_tactics[name] = report.unknown_tactics.get(name, 0) + 1
        if catalogue:  # only a vendor that catalogues its data sources can name an unknown one
            for name in set(rule.telemetry.data_sources) - known_sources:
                report.unknown_data_sources[name] = report.unknown_data_sources.get(name, 0) + 1


@dataclass(slots=True)
class _Parsed:
    """One vendor's corpus read into rules (the parse step), waiting for its write."""

    loader: VendorLoader
    prov: Provenance
    report: VendorReport
    rules: list[Rule]
    hashes: dict[str, str]


def _parse_vendor(vendor: str, root: Path, loaded_at: str) -> _Parsed:
    """Read one vendor's corpus (no database): rules, their content hashes, and the report so far."""
    if not root.is_dir():
        raise ConfigError(f"{vendor} corpus not found at {root}: pass --{vendor} PATH to an upstream checkout")
    loader = LOADERS[vendor](root)
    prov = provenance_of(root, loaded_at)
    report = VendorReport(vendor=vendor, root=str(root), commit=prov.commit)
    rules = parse_corpus(loader, report)
    report.failures.extend({"path": f.path, "rule_id": None, "reason": f.reason} for f in loader.support_failures())
    hashes = {rule.rule_id: rule.content_hash() for rule in rules}
    return _Parsed(loader, prov, report, rules, hashes)


def _write_vendor(writer: GraphWriter, normalizer: Normalizer, parsed: _Parsed,
                  resolver: dict[str, tuple[str | None, str]], tactics: set[str], *, full: bool, force: bool,
                  show_progress: bool) -> VendorReport:
    """Write one parsed vendor: changed rules only, then removals and correlation links."""
    loader, prov, report, rules = parsed.loader, parsed.prov, parsed.report, parsed.rules
    vendor = loader.vendor
    if not rules:  # a wrong path must not empty the graph of this vendor's rules on a full reload
        raise ConfigError(f"no {vendor} rules found under {report.root} ({report.files} files read): "
                          f"is it a {vendor} checkout? nothing was written")
    t0 = time.perf_counter()
    catalogue = loader.data_sources()
    normalizer.use_data_sources(catalogue)
    writer.write_data_sources([data_source_row(ds, normalizer) for ds in catalogue])
    report.data_sources = len(catalogue)

    _check_references(report, rules, resolver, tactics, catalogue)
    existing = writer.existing_rules(vendor)
    hashes = parsed.hashes
    version = (prov.commit, ROW_FORMAT, normalizer.version)
    changed = [rule for rule in rules  # what `existing_rules` holds for a rule
               if force or existing.get(rule_uid(vendor, rule.rule_id)) != (hashes[rule.rule_id], *version)]

    def resolve(tid: str) -> str | None:
        return resolver.get(tid.upper(), (None, "unknown"))[0]

    by_uid = {rule_uid(vendor, r.rule_id): r for r in changed}
    refused = 0
    with _progress(list(batched(changed, RULE_BATCH)), f"write {vendor}", show_progress) as bar:
        for batch in bar:
            rows = [rule_row(rule, prov, resolve, hashes[rule.rule_id], normalizer) for rule in batch]
            for row, reason in writer.write_rule_batch(rows):
                rule = by_uid[row["uid"]]
                report.failures.append({"path": rule.path, "rule_id": rule.rule_id,
                                        "reason": f"not written: Neo4j refused it: {reason}"})
                refused += 1
    report.failed = len(report.failures)
    report.written, report.unchanged = len(changed) - refused, len(rules) - len(changed)
    if full:
        gone = set(existing) - {rule_uid(vendor, r.rule_id) for r in rules}
        writer.delete_rules(gone)
        report.removed = len(gone)
    writer.link_correlations(vendor)
    report.write_seconds = time.perf_counter() - t0
    return report


def find_ecs(ecs: Path | None, corpora: dict[str, Path]) -> Path:
    """The ECS flat schema to load: `ecs` when given, else the one in the Elastic corpus."""
    if ecs is not None:
        return Path(ecs)
    if "elastic" in corpora:
        return ecs_schema_path(Path(corpora["elastic"]))
    raise ConfigError("canonical fields need the ECS 9.5 schema: pass --ecs PATH (ecs_flat.json.gz) or --elastic "
                      "PATH (an elastic/detection-rules checkout ships it)")


def write_catalogs(writer: GraphWriter, catalog: EventCatalog) -> None:
    """Write the telemetry event catalog and link ATT&CK's log sources to its events."""
    providers = [{"name": p.id, "title": p.title, "platform": p.platform, "aliases": list(p.aliases),
                  "attack": list(p.attack)} for p in catalog.providers.values()]
    events = [{"key": e.key, "provider": e.provider, "code": e.code, "title": e.title, "layer": e.layer,
               "aliases": list(e.aliases), "catalog_fields": list(e.fields),
               "platform": catalog.providers[e.provider].platform} for e in catalog.events()]
    writer.write_event_catalog(providers, [{k: v for k, v in e.items() if v is not None} for e in events])
    links = [{"log_source": ls["key"], "event": ev.key} for ls in writer.log_sources()
             for ev in attack_log_source_events(ls["name"] or "", ls["channel"], catalog)]
    writer.link_log_sources(links)


def run_load(driver: Driver, database: str | None, *, attack: Path | None = None, attack_version: str | None = None,
             corpora: dict[str, Path] | None = None, ecs: Path | None = None, full: bool = True,
             force: bool = False, show_progress: bool = False) -> LoadReport:
    """Load ATT&CK (when given) and then each vendor corpus; returns the report (bad files never stop it).

    `attack_version` names the ATT&CK release when the bundle does not (a bundle without its
    `x-mitre-collection` object carries no release number); `ecs` is the ECS flat schema (default: the
    Elastic corpus's copy).
    """
    started = time.perf_counter()
    loaded_at = datetime.now(UTC).isoformat(timespec="seconds")
    report = LoadReport(started_at=loaded_at)
    corpora = dict(corpora or {})
    for vendor in corpora:
        if vendor not in LOADERS:
            raise ConfigError(f"unknown vendor {vendor!r}: choose from {', '.join(LOADERS)}")
    normalizer = Normalizer.load(find_ecs(ecs, corpora)) if corpora else None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detgraph-parse")
    try:  # files are parsed in the background: the next vendor while this one is written
        parsing = {vendor: pool.submit(_parse_vendor, vendor, Path(root), loaded_at)
                   for vendor, root in corpora.items()}
        apply_schema(driver, database)
        writer = GraphWriter(driver, database)
        if attack is not None:
            t0 = time.perf_counter()
            catalog = read_attack(attack)
            if attack_version:
                catalog = replace(catalog, version=attack_version)
            written = write_attack(driver, catalog, database, force=force)
            report.attack = {"source": str(attack), "version": catalog.version, "tactics": len(catalog.tactics),
                             "techniques": len(catalog.techniques), "retired": len(catalog.retired),
                             "strategies": len(catalog.strategies), "analytics": len(catalog.analytics),
                             "issues": list(catalog.issues), "written": written,
                             "seconds": time.perf_counter() - t0}
        write_catalogs(writer, normalizer.events_catalog if normalizer else EventCatalog.load())
        resolver = technique_resolver_from_graph(driver, database)
        tactics = {r["s"] for r in writer.run("MATCH (t:Tactic) RETURN t.shortname AS s")}
        for vendor in corpora:
            assert normalizer is not None
            parsed = parsing[vendor].result()  # the next vendor is parsed while this one is written
            if show_progress:
                click.echo(f"parsed {vendor}: {parsed.report.files} files in {parsed.report.parse_seconds:.1f}s",
                           err=True)
            report.vendors.append(_write_vendor(writer, normalizer, parsed, resolver, tactics, full=full, force=force,
                                                show_progress=show_progress))
        writer.sweep_orphans()
        if normalizer is not None:
            writer.record_normalization(normalizer.version, str(normalizer.ecs_path))
        writer.derive_event_fields()
        if force or any(v.written or v.removed for v in report.vendors):
            writer.derive(LOADERS)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    report.seconds = time.perf_counter() - started
    return report
