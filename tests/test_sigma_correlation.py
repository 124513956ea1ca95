"""Sigma correlation documents -> correlation rules with a threshold predicate."""
from __future__ import annotations

from typing import Any

from loader.model import Operator, Scope
from loader.sigma.correlation import correlation_rule


def doc(condition: Any, kind: str = "event_count", **extra: Any) -> dict[str, Any]:
    correlation = {"type": kind, "rules": ["r1"], "timespan": "1h", "condition": condition, **extra}
    return {"title": "C", "id": "00000000-0000-4000-8000-0000000000c1", "correlation": correlation}


def test_correlation_neq_threshold_is_negated_eq() -> None:
    rule = correlation_rule(doc({"neq": 3}), "c.yml", "c")
    (p,) = rule.predicates
    assert (p.field, p.operator, p.value, p.negated, p.scope) == ("count", Operator.EQ, "3", True, Scope.THRESHOLD)
    assert rule.logic == {"not": {"p": 0}}


def test_correlation_value_sum_threshold_on_field() -> None:
    rule = correlation_rule(doc({"lte": 1.5, "field": "bytes"}, "value_sum"), "c.yml", "c")
    assert [(p.field, p.operator, p.value) for p in rule.predicates] == [("bytes", Operator.LTE, "1.5")]


def test_correlation_ambiguous_condition_is_reported() -> None:
    rule = correlation_rule(doc({"gt": 1, "lt": 5}), "c.yml", "c")
    assert rule.predicates == [] and rule.partial
    assert any("needs exactly one of" in issue for issue in rule.issues)


def test_correlation_without_mapping_is_reported() -> None:
    rule = correlation_rule({"title": "C", "correlation": "event_count"}, "c.yml", "c")
    assert rule.rule_type == "correlation" and "'correlation' is not a mapping" in rule.issues


def test_correlation_properties_are_primitives() -> None:
    aliases = {"ip": {"r1": "SourceIp"}}
    rule = correlation_rule(doc({"gte": 2}, generate=True, aliases=aliases), "c.yml", "c")
    assert rule.properties["generate"] is True
    assert rule.properties["aliases"] == '{"ip": {"r1": "SourceIp"}}'
    assert rule.properties["timespan"] == "1h" and rule.related_rules == ["r1"]
