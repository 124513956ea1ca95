"""Kibana filters -> trees: each clause kind, meta.negate / meta.disabled, bool, malformed filters."""
from __future__ import annotations

import pytest

from graph_schema.errors import QuerySyntaxError
from loader.elastic.filters import filter_expr
from loader.elastic.kql import kql_expr
from loader.logic import And, Leaf, Not, Or, flatten
from loader.model import Operator, Predicate


def _preds(kibana_filter: dict) -> list[Predicate]:
    return flatten(filter_expr(kibana_filter))[0]


def test_filters_match_phrase_is_eq():
    f = {"meta": {"negate": False}, "query": {"match_phrase": {"event.module": "threatintel"}}}
    assert _preds(f) == [Predicate("event.module", Operator.EQ, "threatintel")]


def test_filters_match_phrase_query_form_and_numbers():
    f = {"query": {"match_phrase": {"event.code": {"query": 4688}}}}
    assert _preds(f) == [Predicate("event.code", Operator.EQ, "4688")]


def test_filters_legacy_top_level_exists_negated():
    f = {"$state": {"store": "appState"}, "exists": {"field": "user_agent.original"}, "meta": {"negate": True}}
    assert filter_expr(f) == Not(Leaf(Predicate("user_agent.original", Operator.EXISTS, None)))


def test_filters_wildcard_unescapes_and_keeps_raw_and_case_flag():
    f = {"query": {"wildcard": {"file.path": {"case_insensitive": True, "value": "?:\\\\Program Files\\\\*"}}}}
    (p,) = _preds(f)
    assert (p.operator, p.value) == (Operator.WILDCARD, "?:\\Program Files\\*")
    assert p.raw_value == "?:\\\\Program Files\\\\*"
    assert p.modifiers == ("case_insensitive",)


def test_filters_wildcard_without_glob_is_eq():
    (p,) = _preds({"query": {"wildcard": {"a": "x\\*y"}}})
    assert (p.operator, p.value) == (Operator.EQ, "x*y")


@pytest.mark.parametrize(
    ("clause", "operator"),
    [
        ({"term": {"a": "b"}}, Operator.EQ),
        ({"term": {"a": {"value": "b"}}}, Operator.EQ),
        ({"prefix": {"a": "b"}}, Operator.STARTSWITH),
        ({"regexp": {"a": {"value": "b"}}}, Operator.REGEX_MATCH),
    ],
)
def test_filters_single_value_clauses(clause: dict, operator: Operator):
    assert _preds({"query": clause}) == [Predicate("a", operator, "b")]


def test_filters_terms_is_or_of_values():
    assert filter_expr({"query": {"terms": {"a": ["x", True]}}}) == Or(
        (Leaf(Predicate("a", Operator.EQ, "x")), Leaf(Predicate("a", Operator.EQ, "true")))
    )


def test_filters_range_bounds():
    assert _preds({"query": {"range": {"port": {"gte": 1024, "lt": 2048}}}}) == [
        Predicate("port", Operator.GTE, "1024"),
        Predicate("port", Operator.LT, "2048"),
    ]


def test_filters_bool_should_must_not():
    f = {
        "meta": {"type": "phrases"},
        "query": {
            "bool": {
                "should": [{"match_phrase": {"a": "x"}}, {"match_phrase": {"a": "y"}}],
                "must_not": [{"exists": {"field": "b"}}],
                "minimum_should_match": 1,
            }
        },
    }
    preds, logic = flatten(filter_expr(f))
    assert logic == {"and": [{"or": [{"p": 0}, {"p": 1}]}, {"not": {"p": 2}}]}
    assert preds[2].exclusion and preds[2].negated


def test_filters_bool_should_is_optional_next_to_must():
    f = {"query": {"bool": {"must": {"term": {"a": "x"}}, "should": [{"term": {"b": "y"}}]}}}
    assert _preds(f) == [Predicate("a", Operator.EQ, "x")]


def test_filters_disabled_and_match_all_give_nothing():
    assert filter_expr({"meta": {"disabled": True}, "query": {"match_phrase": {"a": "b"}}}) is None
    assert filter_expr({"query": {"match_all": {}}}) is None


def test_filters_negated_filter_is_exclusion_next_to_the_query():
    negated = filter_expr({"meta": {"negate": True}, "query": {"match_phrase": {"user.name": "SYSTEM"}}})
    preds, _ = flatten(And((kql_expr("event.code:1"), negated)))
    assert [(p.field, p.negated, p.exclusion) for p in preds] == [
        ("event.code", False, False),
        ("user.name", True, True),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "not a filter",
        {"meta": {}},
        {"query": {"script": {"source": "1"}}},
        {"query": {"match_phrase": {"a": {"nope": 1}}}},
        {"query": {"match_phrase": {"a": "b", "c": "d"}}},
        {"query": {"range": {"a": {"format": "x"}}}},
        {"query": {"exists": {}}},
        {"query": {"terms": {"a": "b"}}},
        {"query": {"match_phrase": {"a": {"query": {"x": 1}}}}},
    ],
)
def test_filters_malformed_raise_query_syntax_error(bad: object):
    with pytest.raises(QuerySyntaxError):
        filter_expr(bad)
