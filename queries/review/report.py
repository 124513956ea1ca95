"""Reviewing drafts against the loaded corpus: normalize as the load did, run every check, one JSON object.

The public entry point for a caller holding a draft as text or bytes (the HTTP API's
`POST /api/v1/rules/check`, a pre-commit hook written in Python) is `review_text`:

    from queries.review.report import review_text
    result = review_text(body, "my_rule.yml", None, driver=driver)   # language: sigma|kql|eql|esql|lucene|spl
    return result.to_json()          # the exact text of `detgraph check --format json`
                                     # (result.to_dict(): the same as a dict; result.worst(): the worst severity)

It raises `BadDraft` (exit 2, HTTP 400: empty, not UTF-8, not YAML/TOML, no rule, unknown language),
`ConfigError` (the graph holds no load, or its ECS schema moved) and `DatabaseUnavailable` (HTTP 503),
each with a one-line message; it writes nothing to the graph. `review` is the same for several drafts
read with `read_draft` (the CLI). The JSON (`Review.to_dict`):

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

from graph_schema.errors import BadDraft, ConfigError
from loader.model import Rule
from loader.normalize import Normalizer
from queries.review.checks import DraftRule, run_checks
from queries.review.corpus import CorpusView, LoadNormalization
from queries.review.draft import Draft, parse_draft, read_draft
from queries.review.findings import SEVERITIES, Finding

__all__ = ["RuleReport", "Review", "review", "review_text", "normalizer_for", "check_text"]


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

    def to_json(self) -> str:
        """The JSON text `detgraph check --format json` prints (and the API returns)."""
        import json

        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)


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


def decode_draft(data: str | bytes, name: str) -> str:
    """A draft's text: bytes are UTF-8 (a BOM is dropped); `BadDraft` naming where they are not."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        from loader.walk import text_reason

        raise BadDraft(f"{name}: {text_reason(exc, data)}") from None


def review_text(text: str | bytes, filename: str | None = None, language: str | None = None, *, driver: Driver,
                database: str | None = None, ecs: Path | None = None) -> Review:
    """Review one draft given as text or bytes against the loaded corpus (module doc): the format comes from
    `language` (bare query text) or else from `filename` (`.toml` is Elastic) and the content."""
    name = filename or "draft"
    return review([read_draft(decode_draft(text, name), name, language)], driver, database, ecs)


def check_text(driver: Driver, text: str, name: str = "draft", language: str | None = None,
               database: str | None = None, ecs: Path | None = None) -> dict[str, Any]:
    """`review_text(...).to_dict()`: the same JSON as `detgraph check --format json`, as a dict."""
    return review_text(text, name, language, driver=driver, database=database, ecs=ecs).to_dict()
