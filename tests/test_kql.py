"""KQL parser: every construct of the grammar, exclusions through `flatten`, malformed queries."""
from __future__ import annotations

import pytest

from graph_schema.errors import QuerySyntaxError
from loader.elastic.kql import kql_expr, parse_kql
from loader.model import Operator, Predicate


def _triples(query: str) -> list[tuple[str | None, Operator, str | None, bool, bool]]:
    return [(p.field, p.operator, p.value, p.negated, p.exclusion) for p in parse_kql(query).predicates]


def test_kql_field_value_eq():
    result = parse_kql("event.code : 4688")
    assert result.predicates == [Predicate("event.code", Operator.EQ, "4688")]
    assert result.logic == {"p": 0}


def test_kql_value_list_one_predicate_per_value_or():
    result = parse_kql('process.name : (cmd.exe or "powershell.exe" OR pwsh.exe)')
    assert [p.value for p in result.predicates] == ["cmd.exe", "powershell.exe", "pwsh.exe"]
    assert {p.field for p in result.predicates} == {"process.name"}
    assert result.logic == {"or": [{"p": 0}, {"p": 1}, {"p": 2}]}


def test_kql_value_list_with_and_and_not():
    # `f:(a and not b)` is `f:a and not f:b`: the negated value sits in the top-level AND -> exclusion
    assert _triples("process.args : (a and not b)") == [
        ("process.args", Operator.EQ, "a", False, False),
        ("process.args", Operator.EQ, "b", True, True),
    ]


def test_kql_bare_star_is_exists():
    assert parse_kql("user_agent.original : *").predicates == [
        Predicate("user_agent.original", Operator.EXISTS, None)
    ]


def test_kql_quoted_star_is_literal_eq():
    (p,) = parse_kql('file.name : "*"').predicates
    assert (p.operator, p.value, p.raw_value) == (Operator.EQ, "*", '"*"')


def test_kql_quoted_phrase_unescaped_with_raw_value():
    (p,) = parse_kql(r'process.executable : "C:\\Windows\\cmd.exe" and a : "say \"hi\""').predicates[:1]
    assert p.operator is Operator.EQ
    assert p.value == "C:\\Windows\\cmd.exe"
    assert p.raw_value == r'"C:\\Windows\\cmd.exe"'
    assert parse_kql(r'a : "say \"hi\""').predicates[0].value == 'say "hi"'


def test_kql_quoted_keeps_backslashes_that_escape_nothing():
    (p,) = parse_kql(r'process.executable : "C:\Windows\System32\cmd.exe"').predicates
    assert p.value == r"C:\Windows\System32\cmd.exe"


def test_kql_unquoted_wildcards_star_and_question_mark():
    preds = parse_kql(r"file.path : (*\\Temp\\*.exe or cdn??.space or plain)").predicates
    assert [p.operator for p in preds] == [Operator.WILDCARD, Operator.WILDCARD, Operator.EQ]
    assert preds[0].value == "*\\Temp\\*.exe"
    assert preds[0].raw_value == r"*\\Temp\\*.exe"


def test_kql_escaped_star_is_no_wildcard():
    (p,) = parse_kql(r"process.args : a\*b").predicates
    assert (p.operator, p.value) == (Operator.EQ, "a*b")


def test_kql_escapes_colon_paren_space():
    (p,) = parse_kql(r"process.executable : C\:\\Program\ Files\\app\(1\).exe").predicates
    assert p.value == r"C:\Program Files\app(1).exe"
    assert p.raw_value == r"C\:\\Program\ Files\\app\(1\).exe"


def test_kql_escaped_keyword_is_a_value():
    assert parse_kql(r"a : \or").predicates[0].value == "or"


@pytest.mark.parametrize(
    ("query", "operator"),
    [("x > 5", Operator.GT), ("x >= 5", Operator.GTE), ("x < 5", Operator.LT), ("x <= 5", Operator.LTE)],
)
def test_kql_range_operators(query: str, operator: Operator):
    assert parse_kql(query).predicates == [Predicate("x", operator, "5")]


def test_kql_range_with_quoted_date():
    (p,) = parse_kql('@timestamp >= "now-30d/d"').predicates
    assert (p.field, p.operator, p.value, p.raw_value) == ("@timestamp", Operator.GTE, "now-30d/d", '"now-30d/d"')


def test_kql_keywords_case_insensitive_and_precedence():
    result = parse_kql("a:1 AND b:2 Or NOT c:3")
    assert result.logic == {"or": [{"and": [{"p": 0}, {"p": 1}]}, {"not": {"p": 2}}]}
    assert result.predicates[2].negated is True


def test_kql_keyword_prefixed_values_are_values():
    assert [p.value for p in parse_kql("a : notepad.exe and b : orange or c : android").predicates] == [
        "notepad.exe",
        "orange",
        "android",
    ]


def test_kql_nested_parentheses():
    result = parse_kql("(a:1 or (b:2 and c:3)) and d:4")
    assert result.logic == {"and": [{"or": [{"p": 0}, {"and": [{"p": 1}, {"p": 2}]}]}, {"p": 3}]}


def test_kql_nested_field_group_colon_form():
    result = parse_kql("gcp.binding:{ action : ADD and role : (owner or editor) }")
    assert [p.field for p in result.predicates] == ["gcp.binding.action", "gcp.binding.role", "gcp.binding.role"]


def test_kql_nested_field_group_dot_form():
    assert [p.field for p in parse_kql("a.{b : c}").predicates] == ["a.b"]


def test_kql_free_text_is_match_without_field():
    assert parse_kql('"mimikatz" or sekurlsa').predicates == [
        Predicate(None, Operator.MATCH, "mimikatz", raw_value='"mimikatz"'),
        Predicate(None, Operator.MATCH, "sekurlsa"),
    ]


def test_kql_unquoted_value_with_inner_blank_is_one_value():
    (p, q) = parse_kql("message : hello world and b : c").predicates
    assert (p.value, q.value) == ("hello world", "c")


def test_kql_top_level_and_not_group_is_exclusion():
    assert _triples("event.code:1 and not (user.name:SYSTEM or user.name:LOCAL)") == [
        ("event.code", Operator.EQ, "1", False, False),
        ("user.name", Operator.EQ, "SYSTEM", True, True),
        ("user.name", Operator.EQ, "LOCAL", True, True),
    ]


def test_kql_top_level_not_field_list_is_exclusion():
    assert _triples("event.code:1 and not process.name : (a or b)") == [
        ("event.code", Operator.EQ, "1", False, False),
        ("process.name", Operator.EQ, "a", True, True),
        ("process.name", Operator.EQ, "b", True, True),
    ]


def test_kql_nested_not_is_negated_but_no_exclusion():
    assert _triples("a:1 and (b:2 or not c:3)")[2] == ("c", Operator.EQ, "3", True, False)


def test_kql_double_not_parity():
    assert _triples("a:1 and not (b:2 and not c:3)")[2] == ("c", Operator.EQ, "3", False, True)


def test_kql_lone_not_is_no_exclusion():
    assert _triples("not a:1") == [("a", Operator.EQ, "1", True, False)]


def test_kql_empty_query_has_no_predicates():
    assert kql_expr("  \n ") is None
    result = parse_kql("")
    assert (result.predicates, result.logic) == ([], None)


@pytest.mark.parametrize(
    "query",
    ["a:", "a:b c:d", "(a:b", "a:(b or", "a:b and", "a:b)", "a >", 'a:"unterminated', "a:{b:c"],
)
def test_kql_malformed_raises_query_syntax_error(query: str):
    with pytest.raises(QuerySyntaxError, match="KQL syntax error"):
        parse_kql(query)


def test_kql_syntax_error_names_the_column():
    with pytest.raises(QuerySyntaxError, match="column 6"):
        parse_kql("a:b c:d")
