"""Sigma detection documents -> rules: detection logic, events, robustness to malformed sections."""
from __future__ import annotations

from loader.sigma.rule import detection_logic, detection_rule


def test_detection_logic_missing_condition_lists_predicates() -> None:
    issues: list[str] = []
    predicates, logic = detection_logic({"a": {"f": 1}, "b": {"g": 2}}, issues)
    assert logic is None and [p.field for p in predicates] == ["f", "g"]
    assert issues == ["no condition string; predicates listed without logic"]


def test_detection_logic_condition_list_or() -> None:
    predicates, logic = detection_logic({"a": {"f": 1}, "b": {"g": 2}, "condition": ["a", "b"]}, [])
    assert logic == {"or": [{"p": 0}, {"p": 1}]} and len(predicates) == 2


def test_detection_logic_timeframe_is_no_detection() -> None:
    issues: list[str] = []
    predicates, _ = detection_logic({"a": {"f": 1}, "timeframe": "5m", "condition": "1 of them"}, issues)
    assert [p.field for p in predicates] == ["f"] and issues == []



def test_detection_rule_malformed_sections_are_issues() -> None:
    rule = detection_rule({"title": "T", "logsource": "windows", "detection": ["x"]}, "r.yml", "r")
    assert rule.predicates == [] and rule.partial
    assert "no detection mapping" in rule.issues
    assert any("logsource" in issue for issue in rule.issues)


def test_detection_rule_missing_title_reported_by_pysigma() -> None:
    rule = detection_rule({"logsource": {"product": "x"}, "detection": {"s": {"a": 1}, "condition": "s"}}, "r", "r")
    assert rule.title == "" and "Sigma rule must have a title" in rule.issues
