"""How robust a rule is (Summiting the Pyramid) and which exclusions an attacker satisfies cheaply.

A rule's level comes from its discriminating predicates — not exclusions, not context (telemetry
selection), not aggregates — each rated by the table of `graph_schema/robustness.yml`, combined over
the logic tree: an AND (and a sequence, sample, pipeline or threat match) is as robust as its weakest
required part, an OR as its strongest branch, a `not` as what it negates. A rule with no discriminating
predicate rests on its event alone. The column is the highest layer among the rule's events.
Pure Python over what the normalization layer already computed; docs/robustness.md explains it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graph_schema.event_catalog import LAYERS, CatalogEvent
from graph_schema.robustness_table import BypassRules, Rating, RobustnessTable
from loader.model import Predicate, Rule
from loader.normalize.indicator import CanonicalPredicate
from loader.normalize.values import split_basename

__all__ = ["Robustness", "rule_robustness", "bypass_reason", "discriminating", "fold_logic", "AND_KEYS"]

AND_KEYS = ("and", "sequence", "sample", "pipeline", "threat_match", "stats_where")
"""Logic nodes whose parts are all required (the attacker breaks one)."""
_STRING_OPS = ("eq", "contains", "startswith", "endswith", "wildcard")
_ANCHORED = re.compile(r"^(?:[a-z?]:\\|\\|%[a-z_]+%|\$[a-z_{])")
_SHOWN = 60


@dataclass(frozen=True, slots=True)
class Robustness:
    """A rule's level (1-5), its event layer and column, why, and the predicates (idx) that set the level."""

    level: int
    layer: str | None
    column: str | None
    reason: str
    predicates: tuple[int, ...] = ()

    def props(self) -> dict[str, Any]:
        """The `Rule` node properties."""
        return {"robustness_level": self.level, "robustness_layer": self.layer, "robustness_column": self.column,
                "robustness_reason": self.reason, "robustness_predicates": list(self.predicates)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"level": self.level, "layer": self.layer, "column": self.column, "label": self.label,
                "reason": self.reason, "predicates": list(self.predicates)}

    @property
    def label(self) -> str:
        """`3K`: the level and the column letter (just the level when the layer is unknown)."""
        return f"{self.level}{self.column or ''}"


@dataclass(frozen=True, slots=True)
class _Score:
    level: int
    setters: frozenset[int]


def discriminating(p: Predicate, c: CanonicalPredicate) -> bool:
    """True for a predicate the rule selects activity on (not an exclusion, context or an aggregate)."""
    return not p.exclusion and not c.context and c.field_kind != "aggregate"


def fold_logic(node: Any, leaf: Callable[[int], Any], both: Callable[[list[Any]], Any],
               either: Callable[[list[Any]], Any]) -> Any:
    """Fold a logic tree: `leaf(idx)` at `{"p": idx}`, `both` over required parts, `either` over branches;
    a `not` is what it negates; other keys (`by`, `maxspan`, `until`...) are ignored."""
    if not isinstance(node, dict):
        return both([])
    if "p" in node and isinstance(node["p"], int):
        return leaf(node["p"])
    if "not" in node:
        return fold_logic(node["not"], leaf, both, either)
    if isinstance(node.get("or"), list):
        return either([fold_logic(x, leaf, both, either) for x in node["or"]])
    parts = [x for key in AND_KEYS if isinstance(node.get(key), list) for x in node[key]]
    return both([fold_logic(x, leaf, both, either) for x in parts])


def _pick(scores: list[_Score | None], best: Callable[..., int]) -> _Score | None:
    present = [s for s in scores if s is not None]
    if not present:
        return None
    level = best(s.level for s in present)
    return _Score(level, frozenset().union(*(s.setters for s in present if s.level == level)))


def _describe(c: CanonicalPredicate) -> str:
    value = "" if c.value is None else c.value if len(c.value) <= _SHOWN else c.value[:_SHOWN - 3] + "..."
    return f"{c.field or '(keyword)'} {c.operator}" + (f" '{value}'" if c.value is not None else "")


def rule_robustness(rule: Rule, canonical: Sequence[CanonicalPredicate], events: Sequence[CatalogEvent],
                    table: RobustnessTable) -> Robustness:
    """The rule's robustness from its canonical predicates, its logic tree and the layers of its events."""
    ratings: dict[int, Rating] = {
        i: table.rating(c.field, c.field_kind, c.operator)
        for i, (p, c) in enumerate(zip(rule.predicates, canonical, strict=True)) if discriminating(p, c)
    }

    def leaf(i: int) -> _Score | None:
        return _Score(ratings[i].level, frozenset([i])) if i in ratings else None

    score = fold_logic(rule.logic, leaf, lambda xs: _pick(xs, min), lambda xs: _pick(xs, max)) \
        if rule.logic is not None else None
    if score is None and ratings:  # no tree, or one that names none of them: every one is required
        score = _pick([leaf(i) for i in ratings], min)
    layers = [e.layer for e in events if e.layer in LAYERS]
    layer = max(layers, key=LAYERS.index) if layers else None
    column = table.columns.get(layer) if layer else None
    where = f"; column {column}: the {layer} layer" if layer else "; event layer unknown"
    if score is None:
        rating = table.defaults["event_only" if rule.predicates else "no_predicates"]
        return Robustness(rating.level, layer, column, f"{table.level_names[rating.level]}: {rating.why}{where}")
    setters = tuple(sorted(score.setters))
    first = setters[0]
    more = f" (and {len(setters) - 1} more at this level)" if len(setters) > 1 else ""
    reason = (f"{table.level_names[score.level]}: {_describe(canonical[first])} — {ratings[first].why}{more}"
              f"{where}")
    return Robustness(score.level, layer, column, reason, setters)


def _shown(value: str) -> str:
    return f"'{value if len(value) <= _SHOWN else value[:_SHOWN - 3] + '...'}'"


def bypass_reason(c: CanonicalPredicate, rules: BypassRules) -> str | None:
    """Why an attacker satisfies this indicator cheaply when a rule excludes it, or None."""
    if c.field is None or c.value is None or c.operator not in _STRING_OPS:
        return None
    named = c.field in rules.path_fields and c.operator == "endswith" and split_basename(c.value) is not None
    if c.field in rules.name_fields or named:  # `endswith \\x.exe` on a path is the file name alone
        return f"a file name alone ({_shown(c.value)}): the attacker names their binary so"
    if c.field in rules.command_line_fields and c.operator != "eq":
        return f"a command-line substring ({_shown(c.value)}): the attacker adds it to their own command line"
    if c.field in rules.path_fields:
        path = c.value.lower().replace("/", "\\")
        folder = next((f for f in rules.user_writable if f in path or path.startswith(f.lstrip("\\"))), None)
        if folder is not None:
            return f"a user-writable folder ({folder.strip(chr(92))}) in {_shown(c.value)}: the attacker writes there"
        unanchored = c.operator in ("contains", "endswith") or path.startswith(("*", "?*")) \
            or not _ANCHORED.match(path)
        if unanchored:
            return f"a path fragment not anchored at the root ({_shown(c.value)}): the attacker recreates it " \
                   f"under a folder they own"
    return None
