"""Lucene query-string subset: field:value, lists, phrases, wildcards, regex, ranges, +/-, errors."""
from __future__ import annotations

import pytest

from graph_schema.errors import QuerySyntaxError
from loader.elastic.lucene import lucene_expr, parse_lucene
from loader.model import Operator, Predicate

CORPUS_QUERY = (
    "event.category:process AND event.type:(start or process_started) AND process.name:chmod AND "
    "process.args:(g+s OR /2[0-9]{3}/) AND NOT user.name:root"
)


def test_lucene_corpus_rule_predicates_and_exclusion():
    result = parse_lucene(CORPUS_QUERY)
    assert [(p.field, p.operator, p.value) for p in result.predicates] == [
        ("event.category", Operator.EQ, "process"),
        ("event.type", Operator.EQ, "start"),
        ("event.type", Operator.EQ, "process_started"),
        ("process.name", Operator.EQ, "chmod"),
        ("process.args", Operator.EQ, "g+s"),
        ("process.args", Operator.REGEX_MATCH, "2[0-9]{3}"),
        ("user.name", Operator.EQ, "root"),
    ]
    assert [p.exclusion for p in result.predicates] == [False] * 6 + [True]
    assert result.predicates[5].raw_value == "/2[0-9]{3}/"


def test_lucene_juxtaposed_clauses_are_or():
    assert parse_lucene("a:b c:d").logic == {"or": [{"p": 0}, {"p": 1}]}


def test_lucene_minus_and_bang_exclude():
    result = parse_lucene("a:b -c:d !e:f")
    assert result.logic == {"and": [{"p": 0}, {"not": {"p": 1}}, {"not": {"p": 2}}]}
    assert [p.exclusion for p in result.predicates] == [False, True, True]


def test_lucene_plus_makes_clause_required_and_drops_optional_ones():
    result = parse_lucene("+a:b e:f")
    assert result.predicates == [Predicate("a", Operator.EQ, "b")]


def test_lucene_double_ampersand_and_pipes():
    assert parse_lucene("a:b && (c:d || e:f)").logic == {"and": [{"p": 0}, {"or": [{"p": 1}, {"p": 2}]}]}


def test_lucene_phrase_and_escapes():
    (p, q) = parse_lucene(r'a:"say \"hi\"" AND path:C\:\\Windows\\cmd.exe').predicates
    assert (p.operator, p.value) == (Operator.EQ, 'say "hi"')
    assert (q.operator, q.value, q.raw_value) == (Operator.EQ, r"C:\Windows\cmd.exe", r"C\:\\Windows\\cmd.exe")


def test_lucene_wildcards_and_exists():
    preds = parse_lucene("a:foo* AND b:f?o AND c:*").predicates
    assert [p.operator for p in preds] == [Operator.WILDCARD, Operator.WILDCARD, Operator.EXISTS]


def test_lucene_exists_keyword():
    assert parse_lucene("_exists_:user.name").predicates == [Predicate("user.name", Operator.EXISTS, None)]


def test_lucene_bracket_ranges_inclusive_exclusive_and_open():
    assert [(p.operator, p.value) for p in parse_lucene("x:[1 TO 5}").predicates] == [
        (Operator.GTE, "1"),
        (Operator.LT, "5"),
    ]
    assert parse_lucene("x:{* TO 5]").predicates == [Predicate("x", Operator.LTE, "5")]


def test_lucene_comparison_range():
    assert parse_lucene("x:>=5").predicates == [Predicate("x", Operator.GTE, "5")]


def test_lucene_empty_query():
    assert lucene_expr("") is None


@pytest.mark.parametrize("query", ["a:b^2", "a:b~", "a:(b", "x:[1 TO 5[", "a:"])
def test_lucene_unsupported_or_malformed_raises(query: str):
    with pytest.raises(QuerySyntaxError, match="Lucene syntax error"):
        parse_lucene(query)
