"""A Sigma correlation rule -> `Rule` (rule_type "correlation") with one threshold predicate.

`related_rules` keeps the referenced rule ids/names as written (the pipeline resolves them);
type, group-by, timespan and condition go to `properties` as primitives.
"""
from __future__ import annotations

import json
import re
from typing import Any

from sigma.correlations import SigmaCorrelationRule

from loader.logic import Leaf, Not, flatten
from loader.model import Operator, Predicate, Rule, Scope
from loader.sigma.detection import value_text
from loader.sigma.metadata import base_rule, text, text_list, validation_issues

__all__ = ["correlation_rule", "THRESHOLD_OPERATORS"]

THRESHOLD_OPERATORS: dict[str, Operator] = {
    "gt": Operator.GT,
    "gte": Operator.GTE,
    "lt": Operator.LT,
    "lte": Operator.LTE,
    "eq": Operator.EQ,
    "neq": Operator.EQ,  # negated
}
"""Correlation condition keys -> threshold operator."""

_RULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a rule name in an extended condition, as pySigma reads it


def correlation_rule(data: dict[str, Any], path: str, rule_id: str) -> Rule:
    """The `Rule` of one Sigma correlation document."""
    rule = base_rule(data, path, rule_id)
    rule.rule_type = "correlation"
    rule.issues.extend(validation_issues(lambda: SigmaCorrelationRule.from_dict(data, True).errors))
    correlation = data.get("correlation")
    if not isinstance(correlation, dict):
        rule.issues.append("'correlation' is not a mapping")
        return rule
    kind = text(correlation.get("type"))
    condition = correlation.get("condition")
    rule.related_rules = text_list(correlation.get("rules"))
    if not rule.related_rules and isinstance(condition, str):  # extended temporal condition names its rules
        names = _RULE_NAME.findall(condition)
        rule.related_rules = [n for n in dict.fromkeys(names) if n.lower() not in ("and", "or", "not")]
    generate = correlation.get("generate")
    properties = {
        "correlation_type": kind,
        "group_by": text_list(correlation.get("group-by")),
        "timespan": text(correlation.get("timespan")),
        "generate": generate if isinstance(generate, bool) else None,
        "condition": condition if isinstance(condition, str) else _json(condition),
        "aliases": _json(correlation.get("aliases")),
    }
    rule.properties.update({k: v for k, v in properties.items() if v not in (None, [])})
    if isinstance(condition, dict):
        rule.predicates, rule.logic = _threshold(condition, rule.issues)
    elif condition is None and kind in ("temporal", "temporal_ordered"):
        rule.no_predicates_reason = f"{kind} correlation: fires when all its rules match within the timespan"
    elif isinstance(condition, str):
        rule.no_predicates_reason = f"{kind} correlation: condition over rules, no threshold"
    return rule


def _threshold(condition: dict[str, Any], issues: list[str]) -> tuple[list[Predicate], dict[str, Any] | None]:
    """`{gte: 10, field: User}` -> `User gte "10"` (field "count" when none), scope THRESHOLD."""
    keys = [k for k in condition if k in THRESHOLD_OPERATORS]
    if len(keys) != 1:
        issues.append(f"correlation condition {condition!r} needs exactly one of {', '.join(THRESHOLD_OPERATORS)}")
        return [], None
    key = keys[0]
    field = condition.get("field")
    field_name = ",".join(text_list(field)) if field is not None else "count"
    predicate = Predicate(
        field_name,
        THRESHOLD_OPERATORS[key],
        value_text(condition[key]),
        scope=Scope.THRESHOLD,
    )
    return flatten(Not(Leaf(predicate)) if key == "neq" else Leaf(predicate))


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)
