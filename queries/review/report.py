"""Reviewing drafts against the loaded corpus: normalize as the load did, run every check, one JSON object.

The JSON (`Review.to_dict`) is what `detgraph check --format json` prints and what the API's
`POST /api/v1/rules/check` returns:

    {"graph": {"normalization", "ecs_path", "draft_normalization", "same_normalization"},
     "summary": {"drafts", "rules", "error", "warning", "info", "worst"},
     "drafts": [{"file", "vendor", "language", "rule_id", "title", "robustness": {...},
                 "parse": {"predicates": [...], "exclusions", "events", "techniques", "issues", "partial"},
                 "findings": [{"kind", "severity", "reason", "line", "evidence"}]}]}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neo4j import Driver

from graph_schema.errors import ConfigError
from loader.model import Rule
from loader.normalize import Normalizer
from queries.review.checks import DraftRule, run_checks
from queries.review.corpus import CorpusView, LoadNormalization
from queries.review.draft import Draft, parse_draft, read_draft
from queries.review.findings import SEVERITIES, Finding

__all__ = ["RuleReport", "Review", "review", "normalizer_for", "check_text"]


@dataclass(slots=True)
class RuleReport:
    """One rule of a draft file: its canonical form, robustness and findings."""

    draft: Draft
    subject: DraftRule
    findings: list[Finding]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (module doc)."""
        d, rule = self.subject, self.subject.rule
        return {
            "file": self.draft.name, "vendor": rule.vendor, "language": rule.language, "rule_id": rule.rule_id,
            "title": rule.title, "robustness": d.robustness.to_dict(),
            "parse": {"predicates": [_predicate(i, p, c, d) for i, p, c in d.pairs()],
                      "exclusions": sum(p.exclusion for p in rule.predicates), "events": d.event_keys,
                      "techniques": d.techniques, "partial": rule.partial, "issues": list(rule.issues),
                      "no_predicates_reason": rule.no_predicates_reason, "logic": rule.logic},
            "findings": [f.to_dict() for f in self.findings],
        }


def _predicate(i: int, p: Any, c: Any, d: DraftRule) -> dict[str, Any]:
    """A predicate in both forms, as `rule show` prints one (docs/rule-json.md), plus its robustness facts."""
    known = d.known.get(c.key, {})
    return {
        "idx": i, "field": p.field, "operator": str(p.operator), "value": p.value, "raw_value": p.raw_value,
        "negated": p.negated, "exclusion": p.exclusion, "modifiers": list(p.modifiers), "macro": p.macro,
        "scope": str(p.scope), "group": p.group, "relation": str(p.relation) if p.relation is not None else None,
        "canonical": {"key": c.key, "field": c.field, "field_kind": c.field_kind, "operator": c.operator,
                      "value": c.value, "qualifiers": list(c.qualifiers), "context": c.context},
        "corpus_reach": known.get("reach", 0),
        "reach_by_vendor": {v: known.get(f"reach_{v}", 0) for v in ("sigma", "elastic", "splunk")},
        "bypass_reason": d.bypass[i] if p.exclusion else None,
    }


@dataclass(slots=True)
class Review:
    """The reports of every draft rule, and how the graph and this checkout normalize."""

    load: LoadNormalization
    version: str
    reports: list[RuleReport] = field(default_factory=list)

    def findings(self) -> list[Finding]:
        """Every finding of every draft."""
        return [f for r in self.reports for f in r.findings]

    def worst(self) -> str | None:
        """The worst severity found, or None without findings."""
        found = {f.severity for f in self.findings()}
        return next((s for s in reversed(SEVERITIES) if s in found), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (module doc)."""
        counts = {s: sum(f.severity == s for f in self.findings()) for s in SEVERITIES}
        return {
            "graph": {"normalization": self.load.version, "ecs_path": self.load.ecs_path,
                      "draft_normalization": self.version, "same_normalization": self.load.version == self.version},
            "summary": {"drafts": len({r.draft.name for r in self.reports}), "rules": len(self.reports),
                        **counts, "worst": self.worst()},
            "drafts": [r.to_dict() for r in self.reports],
        }


def normalizer_for(load: LoadNormalization, vendors: set[str], ecs: Path | None = None) -> Normalizer:
    """The normalizer the load used (its ECS schema; a Splunk draft also gets the corpus's data sources)."""
    path = ecs or (Path(load.ecs_path) if load.ecs_path else None)
    if path is None:
        raise ConfigError("the graph records no load (Meta normalization): run `detgraph load` first")
    if not path.is_file():
        raise ConfigError(f"the ECS schema the graph was loaded with is not at {path}: pass --ecs PATH")
    normalizer = Normalizer.load(path)
    root = load.roots.get("splunk")
    if "splunk" in vendors and root and Path(root).is_dir():
        from loader.vendors import loader_class

        normalizer.use_data_sources(loader_class("splunk")(Path(root)).data_sources())
    return normalizer


def _mismatch(load: LoadNormalization, version: str) -> Finding | None:
    if load.version == version:
        return None
    return Finding("normalization", "warning",
                   f"the graph was loaded with normalization {load.version}, this checkout normalizes with {version}:"
                   f" reload the graph, or indicators may not match", {"graph": load.version, "draft": version})


def review(drafts: list[Draft], driver: Driver, database: str | None = None, ecs: Path | None = None) -> Review:
    """Parse, normalize and review every draft against the loaded corpus (nothing is written)."""
    corpus = CorpusView(driver, database)
    load = corpus.normalization()
    normalizer = normalizer_for(load, {d.vendor for d in drafts}, ecs)
    splunk_root = Path(load.roots["splunk"]) if "splunk" in load.roots else None
    out = Review(load, normalizer.version)
    mismatch = _mismatch(load, normalizer.version)
    for draft in drafts:
        rules: list[Rule] = parse_draft(draft, splunk_root)
        for rule in rules:
            subject = DraftRule.of(rule, draft.text, normalizer, corpus)
            findings = run_checks(subject, corpus)
            out.reports.append(RuleReport(draft, subject, ([mismatch] if mismatch else []) + findings))
    return out


def check_text(driver: Driver, text: str, name: str = "draft", language: str | None = None,
               database: str | None = None, ecs: Path | None = None) -> dict[str, Any]:
    """Review one draft given as text (a request body): the same JSON as `detgraph check --format json`."""
    return review([read_draft(text, name, language)], driver, database, ecs).to_dict()
