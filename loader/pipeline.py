"""`detgraph load`: ATT&CK first, then each vendor's files -> rules -> batched writes, with one report.

Vendor loaders only turn files into `Rule`s; everything else — batching, skipping unchanged rules,
removing rules that disappeared, resolving revoked technique ids, progress bars, the report — is here.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

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
U = TypeVar("U")


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


@dataclass(frozen=True, slots=True)
class RuleFacts:
    """What the report says of one rule — from its parse, or from the graph for a file not parsed again."""

    path: str
    rule_id: str
    predicates: int
    exclusions: int
    issues: tuple[str, ...]
    no_predicates_reason: str | None
    technique_ids: tuple[str, ...]
    tactics: tuple[str, ...]  # every tactic it names, with a technique or alone
    data_sources: tuple[str, ...]

    @classmethod
    def of(cls, rule: Rule) -> RuleFacts:
        """The facts of a parsed rule."""
        return cls(rule.path, rule.rule_id, len(rule.predicates), sum(p.exclusion for p in rule.predicates),
                   tuple(rule.issues), rule.no_predicates_reason, tuple(t.technique_id for t in rule.techniques),
                   tuple(dict.fromkeys([*rule.tactics, *(t.tactic for t in rule.techniques if t.tactic)])),
                   tuple(rule.telemetry.data_sources))


@dataclass(slots=True)
class ParsedCorpus:
    """A vendor's corpus as read: the rules parsed now, the facts of rules kept from files that did not change
    since the last load, and the digest of every rule file."""

    rules: list[Rule]
    kept: list[RuleFacts]
    digests: dict[str, str]  # rule file path -> sha1 of its bytes


Unchanged = dict[str, tuple[str, list[RuleFacts]]]
"""path -> (the file's digest at the last load, the facts of its rules in the graph)."""


def parse_corpus(loader: VendorLoader, report: VendorReport, *, unchanged: Unchanged | None = None,
                 show_progress: bool = False) -> ParsedCorpus:
    """Every rule of a corpus, with failures, partial parses and duplicate ids recorded on `report`.

    A file whose bytes have the digest `unchanged` gives for it is not parsed again: its rules are in the
    graph as they are. Files the walk cannot use (links that loop or dangle, FIFOs, unreadable files) are
    failures, and so is a file whose parse breaks unexpectedly: one file never stops the load.
    """
    walked = loader.walk()
    report.files = len(walked.files)
    report.failures.extend({"path": f.path, "rule_id": None, "reason": f.reason} for f in walked.failures)
    rules: dict[str, Rule] = {}
    first_path: dict[str, str] = {}  # rule id -> the file it was first read from
    out = ParsedCorpus([], [], {})
    t0 = time.perf_counter()
    with _progress(walked.files, f"parse {loader.vendor}", show_progress) as bar:
        for path in bar:
            rel = relative_path(path, loader.root)
            digest = _digest(path)
            if digest is not None:
                out.digests[rel] = digest
            known = (unchanged or {}).get(rel)
            if digest is not None and known is not None and known[0] == digest:
                for facts in known[1]:
                    first_path.setdefault(facts.rule_id, rel)
                    out.kept.append(facts)
                continue
            parsed = _parse_file(loader, path)
            report.failures.extend({"path": f.path, "rule_id": f.rule_id, "reason": f.reason} for f in parsed.failures)
            for rule in parsed.rules:
                if rule.rule_id in first_path:
                    first = first_path[rule.rule_id]
                    report.failures.append({"path": rule.path, "rule_id": rule.rule_id,
                                            "reason": f"duplicate rule id (first loaded from {first})"})
                    continue
                first_path[rule.rule_id] = rule.path
                rules[rule.rule_id] = rule
    report.parse_seconds = time.perf_counter() - t0
    out.rules = list(rules.values())
    _summarize(report, [*(RuleFacts.of(r) for r in out.rules), *out.kept])
    return out


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha1(path.read_bytes()).hexdigest()
    except OSError:
        return None  # the parse reports why


def _summarize(report: VendorReport, facts: list[RuleFacts]) -> None:
    """Counts, partial parses and rules without predicates on `report`."""
    for f in facts:
        report.predicates += f.predicates
        report.exclusions += f.exclusions
        if f.issues:
            report.partials.append({"path": f.path, "rule_id": f.rule_id, "issues": list(f.issues)})
        if not f.predicates:
            report.empty.append({"path": f.path, "rule_id": f.rule_id,
                                 "reason": f.no_predicates_reason or "; ".join(f.issues) or "no predicates"})
    report.rules, report.partial, report.failed = len(facts), len(report.partials), len(report.failures)
    report.no_predicates = len(report.empty)


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


def _check_references(report: VendorReport, facts: Iterable[RuleFacts], techniques: dict[str, tuple[str | None, str]],
                      tactics: set[str], catalogue: list[DataSource]) -> None:
    """Note on `report` how every technique tag resolves, and the tactic tags and data sources nobody knows."""
    known_sources = {ds.name for ds in catalogue}
    for rule in facts:
        for tid in set(rule.technique_ids):
            seen = report.techniques.setdefault(techniques.get(tid.upper(), (None, "unknown"))[1], [])
            if tid not in seen:
                seen.append(tid)
        for name in set(rule.tactics):
            if name not in tactics:
                report.unknown_tactics[name] = report.unknown_tactics.get(name, 0) + 1
        if catalogue:  # only a vendor that catalogues its data sources can name an unknown one
            for name in set(rule.data_sources) - known_sources:
                report.unknown_data_sources[name] = report.unknown_data_sources.get(name, 0) + 1


@dataclass(slots=True)
class _Parsed:
    """One vendor's corpus read into rules (the parse step), waiting for its write."""

    loader: VendorLoader
    prov: Provenance
    report: VendorReport
    corpus: ParsedCorpus
    hashes: dict[str, str]  # rule id -> content hash, of the rules parsed now
    digest: str  # what every rule's reading depended on (see `parse_digest`)
    stored_digests: dict[str, str]  # rule file path -> its digest the graph holds


@functools.cache
def _code_digest() -> bytes:
    """The loader's own source (parsers, grammars, normalization): a change means every file is read again."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*")):
        if path.suffix in (".py", ".lark") and "__pycache__" not in path.parts:
            digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.digest()


def parse_digest(loader: VendorLoader, prov: Provenance, normalization: str) -> str:
    """What reading a vendor's files depended on: the loader's code, the writer's row format, the normalization
    (field maps, event catalog, ECS), the corpus commit and its support files (Splunk macros, data sources)."""
    digest = hashlib.sha256(_code_digest())
    digest.update(f"{ROW_FORMAT}\0{normalization}\0{prov.commit}".encode())
    for path in loader.support_files():
        digest.update(relative_path(path, loader.root).encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _parse_vendor(vendor: str, root: Path, loaded_at: str, normalization: str,
                  last: tuple[str | None, Unchanged]) -> _Parsed:
    """Read one vendor's corpus (no database): rules, their content hashes, and the report so far. `last` is
    what the graph holds from the previous load (its parse digest, and each file's digest and rules): when the
    parse digest is the same, unchanged files are not parsed again."""
    if not root.is_dir():
        raise ConfigError(f"{vendor} corpus not found at {root}: pass --{vendor} PATH to an upstream checkout")
    loader = LOADERS[vendor](root)
    prov = provenance_of(root, loaded_at)
    report = VendorReport(vendor=vendor, root=str(root), commit=prov.commit)
    digest = parse_digest(loader, prov, normalization)
    corpus = parse_corpus(loader, report, unchanged=last[1] if last[0] == digest else None)
    report.failures.extend({"path": f.path, "rule_id": None, "reason": f.reason} for f in loader.support_failures())
    hashes = {rule.rule_id: rule.content_hash() for rule in corpus.rules}
    return _Parsed(loader, prov, report, corpus, hashes, digest, {path: d for path, (d, _) in last[1].items()})


def _ahead(items: Iterable[T], work: Callable[[T], U]) -> Iterator[U]:
    """`work(item)` for each item in order, the next one computed in a background thread while the caller uses
    this one: rows for the next batch are built while Neo4j writes the current batch."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="detgraph-rows") as pool:
        pending: Future[U] | None = None
        for item in items:
            upcoming = pool.submit(work, item)
            if pending is not None:
                yield pending.result()
            pending = upcoming
        if pending is not None:
            yield pending.result()


def _write_vendor(writer: GraphWriter, normalizer: Normalizer, parsed: _Parsed,
                  resolver: dict[str, tuple[str | None, str]], tactics: set[str], *, full: bool, force: bool,
                  show_progress: bool) -> VendorReport:
    """Write one parsed vendor: changed rules only, then removals and correlation links."""
    loader, prov, report, corpus = parsed.loader, parsed.prov, parsed.report, parsed.corpus
    rules = corpus.rules
    vendor = loader.vendor
    if not rules and not corpus.kept:  # a wrong path must not empty the graph of this vendor's rules
        raise ConfigError(f"no {vendor} rules found under {report.root} ({report.files} files read): "
                          f"is it a {vendor} checkout? nothing was written")
    t0 = time.perf_counter()
    catalogue = loader.data_sources()
    normalizer.use_data_sources(catalogue)
    writer.write_data_sources([data_source_row(ds, normalizer) for ds in catalogue])
    report.data_sources = len(catalogue)

    _check_references(report, [*(RuleFacts.of(r) for r in rules), *corpus.kept], resolver, tactics, catalogue)
    existing = writer.existing_rules(vendor)
    hashes = parsed.hashes
    version = (prov.commit, ROW_FORMAT, normalizer.version)
    changed = [rule for rule in rules  # what `existing_rules` holds for a rule
               if force or existing.get(rule_uid(vendor, rule.rule_id)) != (hashes[rule.rule_id], *version)]

    def resolve(tid: str) -> str | None:
        return resolver.get(tid.upper(), (None, "unknown"))[0]

    def rows_of(batch: list[Rule]) -> list[dict[str, Any]]:
        return [rule_row(rule, prov, resolve, hashes[rule.rule_id], normalizer, corpus.digests.get(rule.path))
                for rule in batch]

    by_uid = {rule_uid(vendor, r.rule_id): r for r in changed}
    refused = 0
    with _progress(list(batched(changed, RULE_BATCH)), f"write {vendor}", show_progress) as bar:
        for rows in _ahead(bar, rows_of):
            for row, reason in writer.write_rule_batch(rows):
                rule = by_uid[row["uid"]]
                report.failures.append({"path": rule.path, "rule_id": rule.rule_id,
                                        "reason": f"not written: Neo4j refused it: {reason}"})
                refused += 1
    rewritten = {c.rule_id for c in changed}
    stale = [{"uid": rule_uid(vendor, r.rule_id), "digest": corpus.digests[r.path]} for r in rules
             if r.rule_id not in rewritten and r.path in corpus.digests
             and parsed.stored_digests.get(r.path) != corpus.digests[r.path]]
    writer.set_source_digests(stale)  # the file changed, its rules did not: remember the file as it is now
    report.failed = len(report.failures)
    report.written = len(changed) - refused
    report.unchanged = len(rules) + len(corpus.kept) - len(changed)
    if full:
        gone = set(existing) - {rule_uid(vendor, r.rule_id) for r in rules} \
            - {rule_uid(vendor, f.rule_id) for f in corpus.kept}
        writer.delete_rules(gone)
        report.removed = len(gone)
    writer.link_correlations(vendor)
    writer.record_parse_digest(vendor, parsed.digest)
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
        writer = GraphWriter(driver, database)
        version = normalizer.version if normalizer else ""
        last = {vendor: (None, {}) if force else writer.last_parse(vendor, ROW_FORMAT, version) for vendor in corpora}
        parsing = {vendor: pool.submit(_parse_vendor, vendor, Path(root), loaded_at, version, last[vendor])
                   for vendor, root in corpora.items()}
        apply_schema(driver, database)
        writer.new_generation()
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
            writer.record_normalization(normalizer.version, str(normalizer.ecs_path),
                                        {v: str(Path(root).resolve()) for v, root in corpora.items()})
        writer.derive_event_fields()
        if force or any(v.written or v.removed for v in report.vendors):
            writer.derive(LOADERS)
        writer.new_generation()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    report.seconds = time.perf_counter() - started
    return report
