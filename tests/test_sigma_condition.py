"""Sigma condition strings -> logic trees: every condition form, precedence, errors."""
from __future__ import annotations

import pytest

from graph_schema.errors import QuerySyntaxError
from loader.logic import And, Expr, Leaf, Not, Or
from loader.model import Operator, Predicate
from loader.sigma.condition import parse_condition

NAMES = ("selection", "sel_a", "sel_b", "filter_main", "filter_opt", "keywords", "_private", "notepad")
DETECTIONS: dict[str, Expr | None] = {n: Leaf(Predicate(n, Operator.EQ, "x", group=n)) for n in NAMES}


def leaf(name: str) -> Expr:
    expr = DETECTIONS[name]
    assert expr is not None
    return expr


def parse(text: str, issues: list[str] | None = None) -> Expr | None:
    return parse_condition(text, DETECTIONS, [] if issues is None else issues)


def test_condition_single_identifier() -> None:
    assert parse("selection") == leaf("selection")


def test_condition_and_or_not() -> None:
    assert parse("selection and not keywords") == And((leaf("selection"), Not(leaf("keywords"))))
    assert parse("sel_a or sel_b") == Or((leaf("sel_a"), leaf("sel_b")))


def test_condition_precedence_not_and_or() -> None:
    assert parse("sel_a or sel_b and not keywords") == Or(
        (leaf("sel_a"), And((leaf("sel_b"), Not(leaf("keywords")))))
    )
    assert parse("not sel_a and sel_b") == And((Not(leaf("sel_a")), leaf("sel_b")))


def test_condition_nested_parentheses() -> None:
    assert parse("((sel_a and not sel_b) or (keywords))") == Or(
        (And((leaf("sel_a"), Not(leaf("sel_b")))), leaf("keywords"))
    )


def test_condition_one_of_pattern_is_or() -> None:
    assert parse("1 of sel_*") == Or((leaf("sel_a"), leaf("sel_b")))
    assert parse("any of sel_*") == Or((leaf("sel_a"), leaf("sel_b")))


def test_condition_all_of_pattern_is_and() -> None:
    assert parse("all of sel_*") == And((leaf("sel_a"), leaf("sel_b")))


def test_condition_not_one_of_filters() -> None:
    assert parse("selection and not 1 of filter_*") == And(
        (leaf("selection"), Not(Or((leaf("filter_main"), leaf("filter_opt")))))
    )


def test_condition_them_skips_underscore_detections() -> None:
    them = parse("all of them")
    assert isinstance(them, And) and leaf("_private") not in them.children and len(them.children) == 7
    one = parse("1 of them")
    assert isinstance(one, Or) and len(one.children) == 7


def test_condition_underscore_pattern_matches_underscore_detections() -> None:
    assert parse("1 of _priv*") == leaf("_private")


def test_condition_single_match_pattern_is_the_detection() -> None:
    assert parse("1 of keyword*") == leaf("keywords")


def test_condition_operator_prefix_identifier_is_not_split() -> None:
    assert parse("notepad") == leaf("notepad")


def test_condition_keywords_case_insensitive() -> None:
    assert parse("sel_a AND NOT sel_b") == And((leaf("sel_a"), Not(leaf("sel_b"))))


def test_condition_unknown_identifier_dropped_with_issue() -> None:
    issues: list[str] = []
    assert parse("selection and not filter", issues) == leaf("selection")
    assert issues == ["condition references unknown detection 'filter' (dropped)"]


def test_condition_pattern_matching_nothing_dropped_with_issue() -> None:
    issues: list[str] = []
    assert parse("selection and not 1 of nothing_*", issues) == leaf("selection")
    assert issues == ["'1 of nothing_*' matches no detection (dropped)"]


def test_condition_pipe_aggregation_reported() -> None:
    issues: list[str] = []
    assert parse("selection | count(category) by dst_ip > 30", issues) == leaf("selection")
    assert len(issues) == 1 and "count(category) by dst_ip > 30" in issues[0]


@pytest.mark.parametrize(
    "text",
    ["selection and (not sel_a", "selection)", "selection sel_a", "", "and selection", "2 of sel_*", "1 of"],
)
def test_condition_syntax_errors_raise(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse(text)
