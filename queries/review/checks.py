"""The reviews `detgraph check` runs on one parsed draft rule, each a function returning findings.

Every threshold is a constant here (one place); every graph question goes through `CorpusView` (saved
queries). The draft's canonical form, events and robustness come from the normalization layer, exactly
as a load computes them.
"""
from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graph_schema.event_catalog import CatalogEvent
from loader.model import Predicate, Rule
from loader.normalize import CanonicalPredicate, Normalizer, Robustness
from loader.normalize.fields import field_scope
from loader.normalize.robustness import discriminating, fold_logic
from queries.review.corpus import CorpusView
from queries.review.findings import Finding, locate

__all__ = ["DraftRule", "CHECKS", "run_checks", "NOISY_REACH", "NOISY_TECHNIQUES"]

NOISY_REACH = 20
"""An indicator this many rules select on ..."""
NOISY_TECHNIQUES = 5
"""... under this many techniques is noise when it stands alone in a selection."""
EXCLUSION_PEERS_OVERLAP = 1 / 3
"""Peers for exclusions share at least this share of the draft's selection indicators (at least one)."""
EXCLUSION_MIN_PEERS = 2
EXCLUSION_WARN_SHARE = 0.2
"""A missing exclusion this share of the peers use is a warning (below: info)."""
EXCLUSION_LIMIT = 10
DUPLICATE_MIN_JACCARD = 0.4
DUPLICATE_WARN_JACCARD = 0.8
DUPLICATE_LIMIT = 5
TAG_OVERLAP = 0.5
TAG_MIN_PEERS = 2
TAG_WARN_SHARE = 0.5
TAG_LIMIT = 5
LOW_ROBUSTNESS = 1
"""A draft at this level or below is a warning."""
SPELLING_CUTOFF = 0.8
EVENT_BASE_FIELDS = ("@timestamp", "event.", "data_stream.", "host.", "agent.", "ecs.", "cloud.", "observer.",
                     "labels.", "tags", "winlog.channel", "winlog.provider_name", "winlog.event_id",
                     "winlog.computer_name", "winlog.event_data.EventID", "winlog.event_data.EventCode",
                     "winlog.event_data.Channel", "winlog.event_data.Provider_Name", "winlog.event_data.Computer",
                     "winlog.event_data.source", "winlog.event_data.sourcetype")
"""Fields (or prefixes) every event of its source carries, listed or not in the catalog's event fields:
never `field-not-emitted`."""


@dataclass(slots=True)
class DraftRule:
    """One rule of a draft in canonical form, with what the graph says of its indicators."""

    rule: Rule
    text: str  # the draft file's text (for line numbers)
    canonical: list[CanonicalPredicate]
    events: list[CatalogEvent]
    robustness: Robustness
    bypass: list[str | None]  # per predicate: why an attacker satisfies it cheaply as an exclusion
    known: dict[str, dict[str, Any]]  # indicator key -> indicators_by_key row (indicators some rule uses)
    basenames: dict[str, str]  # path field -> its file-name field (a path carried carries its name)

    @classmethod
    def of(cls, rule: Rule, text: str, normalizer: Normalizer, corpus: CorpusView) -> DraftRule:
        """Normalize `rule` as a load does and look its indicators up."""
        canonical = normalizer.canonical(rule)
        events = normalizer.events(rule)
        return cls(rule, text, canonical, events, normalizer.robustness(rule, canonical, events),
                   [normalizer.bypass(c) for c in canonical],
                   corpus.indicators(sorted({c.key for c in canonical})), dict(normalizer.catalog.basenames))

    def pairs(self) -> list[tuple[int, Predicate, CanonicalPredicate]]:
        """(idx, predicate, canonical) of every predicate."""
        return [(i, p, c) for i, (p, c) in enumerate(zip(self.rule.predicates, self.canonical, strict=True))]

    @property
    def selection(self) -> list[str]:
        """Distinct canonical selection indicator keys (what similarity and peers use)."""
        return sorted({c.key for _, p, c in self.pairs() if discriminating(p, c)})

    @property
    def exclusions(self) -> list[str]:
        """Distinct canonical exclusion indicator keys."""
        return sorted({c.key for _, p, c in self.pairs() if p.exclusion})

    @property
    def techniques(self) -> list[str]:
        """The technique ids the draft is tagged with."""
        return sorted({t.technique_id.upper() for t in self.rule.techniques})

    @property
    def event_keys(self) -> list[str]:
        """The catalog events the draft reads."""
        return [e.key for e in self.events]

    def line(self, p: Predicate) -> int | None:
        """The draft line a predicate is written on, when it can be found."""
        value = p.raw_value if p.raw_value is not None else p.value
        return locate(self.text, p.field, (value or "").strip("*")[:40] or None)


def describe(c: CanonicalPredicate | dict[str, Any]) -> str:
    """`field operator 'value'` of a canonical predicate or an indicator row."""
    get = c.get if isinstance(c, dict) else lambda k: getattr(c, k)
    value = get("value")
    shown = "" if value is None else f" '{value if len(value) <= 80 else value[:77] + '...'}'"
    return f"{get('field') or '(keyword)'} {get('operator')}{shown}"


def check_parse(d: DraftRule, corpus: CorpusView) -> list[Finding]:
    """What the draft parses into, and a partial parse or empty logic as a load reports it."""
    r = d.rule
    exclusions = sum(p.exclusion for p in r.predicates)
    out = [Finding("parse", "info", f"{len(r.predicates)} predicates ({exclusions} exclusions), "
                   f"{len(d.events)} events, {len(d.techniques)} techniques",
                   {"predicates": len(r.predicates), "exclusions": exclusions, "events": d.event_keys,
                    "techniques": d.techniques, "language": r.language}, 1)]
    if r.issues:
        out.append(Finding("partial-parse", "warning", f"part of the rule could not be parsed: {r.issues[0]}"
                           + (f" (and {len(r.issues) - 1} more)" if len(r.issues) > 1 else ""),
                           {"issues": list(r.issues)}))
    if not r.predicates:
        by_design = r.no_predicates_reason is not None and not r.issues
        out.append(Finding("no-predicates", "info" if by_design else "error",
                           r.no_predicates_reason or "no predicates: nothing in the draft can be checked",
                           {"reason": r.no_predicates_reason}))
    return out


def _alone(d: DraftRule) -> set[int]:
    """Predicates (idx) that can be a selection's only discriminating condition (an OR branch of one)."""
    flags = {i: discriminating(p, c) for i, p, c in d.pairs()}

    def leaf(i: int) -> tuple[bool, frozenset[int]]:
        return (True, frozenset([i])) if flags.get(i) else (False, frozenset())

    def both(parts: list[tuple[bool, frozenset[int]]]) -> tuple[bool, frozenset[int]]:
        live = [s for has, s in parts if has]
        return bool(live), live[0] if len(live) == 1 else frozenset()

    def either(parts: list[tuple[bool, frozenset[int]]]) -> tuple[bool, frozenset[int]]:
        return any(h for h, _ in parts), frozenset().union(*(s for _, s in parts))

    if d.rule.logic is None:
        return {i for i, f in flags.items() if f} if sum(flags.values()) == 1 else set()
    return set(fold_logic(d.rule.logic, leaf, both, either)[1])


def check_noisy(d: DraftRule, corpus: CorpusView) -> list[Finding]:
    """Indicators of high reach across many techniques standing alone in a selection."""
    out = []
    seen: set[str] = set()
    for i in sorted(_alone(d)):
        p, c = d.rule.predicates[i], d.canonical[i]
        row = d.known.get(c.key)
        if row is None or c.key in seen or row["reach"] < NOISY_REACH or row["techniques"] < NOISY_TECHNIQUES:
            continue
        seen.add(c.key)
        out.append(Finding(
            "noisy-selection", "warning",
            f"{describe(c)} stands alone in a selection, and {row['reach']} rules under {row['techniques']} "
            f"techniques select on it: combine it with another condition",
            {"indicator": c.key, "reach": row["reach"], "techniques": row["techniques"],
             "reach_by_vendor": {v: row[f"reach_{v}"] for v in ("sigma", "elastic", "splunk")}, "predicate": i},
            d.line(p)))
    return out


def _condition_line(d: DraftRule) -> int | None:
    return locate(d.text, "condition:") or locate(d.text, "query") or locate(d.text, "search:")


def check_missing_exclusions(d: DraftRule, corpus: CorpusView) -> list[Finding]:
    """Exclusions the draft's peers (shared selection indicators, or same technique and event) use and it lacks."""
    selection = d.selection
    min_shared = max(1, math.ceil(len(selection) * EXCLUSION_PEERS_OVERLAP))
    rows = corpus.missing_exclusions(selection, d.exclusions, d.techniques, d.event_keys, min_shared,
                                     EXCLUSION_LIMIT)
    out = []
    for row in rows:
        if row["peers_using"] < EXCLUSION_MIN_PEERS or row["key"] in selection:  # what it selects on, it keeps
            continue
        severity = "warning" if row["share"] >= EXCLUSION_WARN_SHARE else "info"
        out.append(Finding(
            "missing-exclusion", severity,
            f"{row['peers_using']} of {row['peers']} peer rules exclude {describe(row)} and this draft does not",
            {"indicator": row["key"], "peers_using": row["peers_using"], "peers": row["peers"],
             "share": row["share"], "example_peers": row["example_peers"], "reach": row["reach"]},
            _condition_line(d)))
    return out


def check_duplicates(d: DraftRule, corpus: CorpusView) -> list[Finding]:
    """Existing rules, any vendor, with the highest Jaccard similarity over canonical selection indicators.

    A loaded rule with the draft's own id (`vendor:rule_id`) is the draft's earlier version, not a duplicate:
    it is reported once as `loaded-version` (a detection-as-code repository checks its changed rules)."""
    out = []
    uid = f"{d.rule.vendor}:{d.rule.rule_id}"
    for row in corpus.similar(d.selection, DUPLICATE_MIN_JACCARD, DUPLICATE_LIMIT + 1):
        evidence = {"uid": row["uid"], "vendor": row["vendor"], "title": row["title"], "jaccard": row["jaccard"],
                    "shared": row["shared"], "size": row["size"]}
        if row["uid"] == uid:
            out.append(Finding("loaded-version", "info",
                               f"this draft is a new version of the loaded rule \"{row['title']}\" ({uid}): "
                               f"Jaccard {row['jaccard']:.2f} with it", evidence))
            continue
        if sum(f.kind == "near-duplicate" for f in out) == DUPLICATE_LIMIT:
            break
        severity = "warning" if row["jaccard"] >= DUPLICATE_WARN_JACCARD else "info"
        out.append(Finding(
            "near-duplicate", severity,
            f"this exists as {row['vendor'].capitalize()} rule \"{row['title']}\" ({row['uid']}), "
            f"Jaccard {row['jaccard']:.2f} ({row['shared']} shared indicators)", evidence))
    return out


def _closest(name: str, candidates: dict[str, int]) -> list[str]:
    """Spellings close to `name` (case-insensitively), most used first."""
    if not name:
        return []
    lowered: dict[str, str] = {}
    for c in sorted(candidates, key=lambda c: -candidates[c]):
        lowered.setdefault(c.lower(), c)
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=SPELLING_CUTOFF)
    return [lowered[h] for h in hits if lowered[h] != name]


def check_fields(d: DraftRule, corpus: CorpusView) -> list[Finding]:
    """Fields the draft's events do not carry, and fields no rule on its events (or of its vendor) uses.

    A field is not emitted when the catalog lists its events' fields and none has it — unless it is telemetry
    selection (context), a field every event of the source carries (`EVENT_BASE_FIELDS`), or one that loaded
    rules on the same events filter on (the catalog's list is incomplete there, the draft is not wrong)."""
    rows = corpus.event_fields(d.event_keys)
    carried = {r["field"] for r in rows if r["carried"]}
    carried |= {name for path, name in d.basenames.items() if path in carried}
    used = {r["field"]: r["rules"] for r in rows if r["rules"] > 0}
    spellings = corpus.spellings(d.rule.vendor, field_scope(d.rule))
    written = {r["key"]: r["rules"] for r in spellings}
    names = {r["name"]: r["rules"] for r in spellings if r["rules"] > 0}
    where = f"on {', '.join(d.event_keys)}" if d.event_keys and any(r["rules"] for r in rows) else "in the corpus"
    out = []
    seen: set[str] = set()
    for i, p, c in d.pairs():
        if c.field is None or c.field_kind == "aggregate" or p.field is None or c.field in seen:
            continue
        seen.add(c.field)
        emitted = c.context or c.field in carried or c.field.startswith(EVENT_BASE_FIELDS) or c.field in used
        if carried and c.field_kind in ("ecs", "extension") and not emitted:  # used: the catalog's list is short
            out.append(Finding(
                "field-not-emitted", "warning",
                f"{p.field} ({c.field}) is not a field of {', '.join(d.event_keys)}: the rule cannot match as written",
                {"field": c.field, "vendor_field": p.field, "events": d.event_keys, "predicate": i}, d.line(p)))
        if c.field in used or written.get(c.vendor_field or "", 0) > 0:
            continue
        close = _closest(p.field, names) or _closest(c.field, used)
        counts = {s: names.get(s, used.get(s, 0)) for s in close}
        hint = f": did you mean {close[0]} ({counts[close[0]]} rules)?" if close else ""
        out.append(Finding(
            "field-unused", "warning" if close else "info",
            f"no rule {where} filters on {p.field} ({c.field}){hint}",
            {"field": c.field, "vendor_field": p.field, "suggestions": counts, "predicate": i}, d.line(p)))
    return out


def check_tagging(d: DraftRule, corpus: CorpusView) -> list[Finding]:
    """Techniques peers with the same indicators carry and the draft does not."""
    out = []
    rows = corpus.peer_techniques(d.selection, d.techniques, TAG_OVERLAP, TAG_MIN_PEERS, TAG_LIMIT)
    for row in rows:
        severity = "warning" if row["share"] >= TAG_WARN_SHARE or not d.techniques else "info"
        out.append(Finding(
            "missing-technique", severity,
            f"{row['peers_tagging']} of {row['peers']} peer rules with the same indicators carry {row['technique']} "
            f"({row['name']}) and this draft does not",
            {"technique": row["technique"], "name": row["name"], "peers_tagging": row["peers_tagging"],
             "peers": row["peers"], "share": row["share"], "example_peers": row["example_peers"]},
            locate(d.text, "tags:") or locate(d.text, "threat")))
    return out


def check_robustness(d: DraftRule, corpus: CorpusView) -> list[Finding]:
    """The draft's robustness level, and its exclusions an attacker satisfies cheaply."""
    rob = d.robustness
    setters = [d.rule.predicates[i] for i in rob.predicates]
    out = [Finding("robustness", "warning" if rob.level <= LOW_ROBUSTNESS else "info",
                   f"robustness {rob.label} (level {rob.level} of 5): {rob.reason}", rob.to_dict(),
                   d.line(setters[0]) if setters else None)]
    seen: set[str] = set()
    for i, p, c in d.pairs():
        reason = d.bypass[i]
        if not p.exclusion or reason is None or c.key in seen:
            continue
        seen.add(c.key)
        radius = d.known.get(c.key, {}).get("excluded_by", 0)
        out.append(Finding("bypassable-exclusion", "warning", f"exclusion {describe(c)}: {reason}",
                           {"indicator": c.key, "reason": reason, "excluded_by": radius, "predicate": i},
                           d.line(p)))
    return out


CHECKS: dict[str, Callable[[DraftRule, CorpusView], list[Finding]]] = {
    "parse": check_parse, "noisy": check_noisy, "exclusions": check_missing_exclusions,
    "duplicates": check_duplicates, "fields": check_fields, "tagging": check_tagging,
    "robustness": check_robustness,
}
"""Every review, in report order."""


def run_checks(d: DraftRule, corpus: CorpusView) -> list[Finding]:
    """Every review's findings for one draft rule, in `CHECKS` order (a draft without predicates: parse only).

    The checks are independent read-only graph questions: they run at once, one thread each (the driver's
    pool gives each its own connection), so a review waits for its slowest question, not for their sum."""
    out = check_parse(d, corpus)
    if not d.rule.predicates:
        return out
    todo = [check for name, check in CHECKS.items() if name != "parse"]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="detgraph-check") as pool:
        for found in pool.map(lambda check: check(d, corpus), todo):
            out.extend(found)
    return out
