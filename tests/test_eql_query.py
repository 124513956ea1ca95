"""EQL parser: every construct the corpus uses, sequences and samples, malformed queries."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from graph_schema.errors import QuerySyntaxError
from loader.elastic.eql_query import parse_eql
from loader.model import Operator, Predicate, Scope

CATEGORY = Predicate("event.category", Operator.EQ, "process", scope=Scope.EVENT_CATEGORY)


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETGRAPH_CACHE_DIR", "")


def _conditions(query: str) -> list[Predicate]:
    """The predicates of `query` without its event-category predicate."""
    return [p for p in parse_eql(query).predicates if p.scope is not Scope.EVENT_CATEGORY]


def _one(query: str) -> Predicate:
    (predicate,) = _conditions(query)
    return predicate


def test_eql_event_category_becomes_first_predicate():
    result = parse_eql('process where process.name == "cmd.exe"')
    assert result.predicates[0] == CATEGORY
    assert result.predicates[1] == Predicate("process.name", Operator.EQ, "cmd.exe", raw_value='"cmd.exe"')
    assert result.logic == {"and": [{"p": 0}, {"p": 1}]}
    assert result.issues == []


def test_eql_any_category_is_not_a_predicate():
    result = parse_eql('any where event.code == "4624"')
    assert result.predicates == [Predicate("event.code", Operator.EQ, "4624", raw_value='"4624"')]
    assert result.logic == {"p": 0}


def test_eql_double_equals_is_literal_even_with_wildcard_characters():
    p = _one('file where file.name == "*.exe"')
    assert (p.operator, p.value, p.modifiers) == (Operator.EQ, "*.exe", ())


def test_eql_not_equal_is_negated_and_a_top_level_exclusion():
    p = _one('process where process.name != "cmd.exe"')
    assert (p.operator, p.value, p.negated, p.exclusion) == (Operator.EQ, "cmd.exe", True, True)


def test_eql_colon_is_wildcard_only_with_glob_characters():
    star, plain = _conditions('process where process.name : "power*" and process.args : "-enc"')
    assert (star.operator, star.value, star.modifiers) == (Operator.WILDCARD, "power*", (":",))
    assert (plain.operator, plain.value, plain.modifiers) == (Operator.EQ, "-enc", (":",))


def test_eql_colon_value_list_is_one_predicate_per_value_or():
    result = parse_eql('process where process.name : ("a.exe", "b?.exe")')
    assert [(p.operator, p.value) for p in result.predicates[1:]] == [
        (Operator.EQ, "a.exe"),
        (Operator.WILDCARD, "b?.exe"),
    ]
    assert result.logic == {"and": [{"p": 0}, {"or": [{"p": 1}, {"p": 2}]}]}


@pytest.mark.parametrize(("op", "operator"), [("like", Operator.WILDCARD), ("like~", Operator.WILDCARD)])
def test_eql_like_records_its_modifier(op: str, operator: Operator):
    wild, exact = _conditions(f'file where file.path {op} "C:\\\\*" and file.name {op} ("x.dll")')
    assert (wild.operator, wild.value, wild.modifiers) == (operator, "C:\\*", (op,))
    assert (exact.operator, exact.value) == (Operator.EQ, "x.dll")


@pytest.mark.parametrize("op", ["regex", "regex~"])
def test_eql_regex_is_regex_match(op: str):
    p = _one(f'process where process.name {op} """[a-z]{{8}}\\.exe"""')
    assert (p.operator, p.value, p.modifiers) == (Operator.REGEX_MATCH, "[a-z]{8}\\.exe", (op,))


def test_eql_in_is_one_equality_per_value_or():
    result = parse_eql('process where event.code in ("4688", "1")')
    assert [(p.operator, p.value, p.modifiers) for p in result.predicates[1:]] == [
        (Operator.EQ, "4688", ("in",)),
        (Operator.EQ, "1", ("in",)),
    ]
    assert result.logic == {"and": [{"p": 0}, {"or": [{"p": 1}, {"p": 2}]}]}


def test_eql_in_insensitive_records_modifier():
    assert _one('process where process.name in~ ("CMD.exe")').modifiers == ("in~",)


@pytest.mark.parametrize("query", ['process.name not in ("a", "b")', 'not process.name in ("a", "b")'])
def test_eql_not_in_is_negated_exclusion(query: str):
    result = parse_eql(f"process where {query}")
    assert [(p.value, p.negated, p.exclusion) for p in result.predicates[1:]] == [
        ("a", True, True),
        ("b", True, True),
    ]
    assert result.logic == {"and": [{"p": 0}, {"not": {"or": [{"p": 1}, {"p": 2}]}}]}


@pytest.mark.parametrize(
    ("function", "operator"),
    [
        ("startsWith", Operator.STARTSWITH),
        ("endsWith~", Operator.ENDSWITH),
        ("stringContains", Operator.CONTAINS),
        ("cidrMatch", Operator.CIDR),
        ("cidrmatch", Operator.CIDR),
        ("startswith~", Operator.STARTSWITH),
    ],
)
def test_eql_string_functions_one_predicate_per_value(function: str, operator: Operator):
    result = parse_eql(f'network where {function}(destination.ip, "10.0.0.0/8", "fe80::/10")')
    assert [(p.field, p.operator, p.value, p.modifiers) for p in result.predicates[1:]] == [
        ("destination.ip", operator, "10.0.0.0/8", (function.lower(),)),
        ("destination.ip", operator, "fe80::/10", (function.lower(),)),
    ]
    assert result.logic == {"and": [{"p": 0}, {"or": [{"p": 1}, {"p": 2}]}]}


def test_eql_wildcard_function_uses_glob_operator():
    star, exact = _conditions('file where wildcard(file.name, "*.ps1", "run.bat")')
    assert (star.operator, exact.operator) == (Operator.WILDCARD, Operator.EQ)


def test_eql_negated_function_is_exclusion():
    p = _one('process where not startsWith(process.executable, "C:\\\\Windows\\\\")')
    assert (p.operator, p.value, p.negated, p.exclusion) == (Operator.STARTSWITH, "C:\\Windows\\", True, True)


@pytest.mark.parametrize(
    ("op", "operator"), [("<", Operator.LT), ("<=", Operator.LTE), (">", Operator.GT), (">=", Operator.GTE)]
)
def test_eql_comparisons(op: str, operator: Operator):
    p = _one(f"network where destination.port {op} 1024")
    assert (p.field, p.operator, p.value, p.raw_value) == ("destination.port", operator, "1024", None)


def test_eql_comparison_with_literal_first_is_mirrored():
    p = _one("network where 1024 < destination.port")
    assert (p.field, p.operator, p.value) == ("destination.port", Operator.GT, "1024")


def test_eql_negative_number_keeps_its_sign():
    assert _one("process where process.pid >= -1").value == "-1"


def test_eql_null_checks_are_is_null():
    is_null, not_null = _conditions("process where process.parent.name == null and user.id != null")
    assert (is_null.operator, is_null.value, is_null.negated) == (Operator.IS_NULL, None, False)
    assert (not_null.operator, not_null.value, not_null.negated) == (Operator.IS_NULL, None, True)


def test_eql_optional_field_drops_question_mark():
    p = _one('process where ?process.Ext.token.integrity_level_name == "high"')
    assert (p.field, p.modifiers) == ("process.Ext.token.integrity_level_name", ("optional",))


def test_eql_escaped_field_name_drops_backticks():
    p = _one('any where `kubernetes.audit.user.extra.authentication.kubernetes.io/pod-name` == "x"')
    assert p.field == "kubernetes.audit.user.extra.authentication.kubernetes.io/pod-name"


def test_eql_backticked_field_part_keeps_inner_spaces():
    p = _one('process where process.`my field` == "a"')
    assert p.field == "process.my field"


def test_eql_spaces_between_field_parts_are_dropped():
    first, second = _conditions('process where process. name == "a" and process.args[ 0 ] == "b"')
    assert (first.field, second.field) == ("process.name", "process.args[0]")


def test_eql_nested_not_flips_negation_each_time():
    result = parse_eql("process where a.b == 1 and not (c.d == 2 or not e.f == 3)")
    assert [(p.field, p.negated, p.exclusion) for p in result.predicates[1:]] == [
        ("a.b", False, False),
        ("c.d", True, True),
        ("e.f", False, True),
    ]
    assert result.logic == {"and": [{"p": 0}, {"p": 1}, {"not": {"or": [{"p": 2}, {"not": {"p": 3}}]}}]}


def test_eql_not_without_positive_conjunct_is_not_exclusion():
    (p,) = parse_eql('any where not process.name == "a"').predicates
    assert (p.negated, p.exclusion) == (True, False)


def test_eql_and_or_precedence():
    result = parse_eql("any where a.a == 1 or b.b == 2 and c.c == 3")
    assert result.logic == {"or": [{"p": 0}, {"and": [{"p": 1}, {"p": 2}]}]}


def test_eql_length_keeps_field_with_modifier():
    p = _one("process where length(process.command_line) > 255")
    assert (p.field, p.operator, p.value, p.modifiers) == ("process.command_line", Operator.GT, "255", ("length",))


def test_eql_field_to_field_equality_is_fieldref():
    p = _one("process where process.parent.name != process.name")
    assert (p.field, p.operator, p.value, p.negated) == ("process.parent.name", Operator.FIELDREF, "process.name", True)


def test_eql_function_with_field_argument_is_fieldref_with_relation():
    p = _one("any where endswith(string(source.ip), string(host.ip))")
    assert (p.field, p.operator, p.value, p.relation) == ("source.ip", Operator.FIELDREF, "host.ip", Operator.ENDSWITH)
    assert p.modifiers == ("endswith", "string", "rhs:string")


@pytest.mark.parametrize(
    ("function", "relation"),
    [("startswith~", Operator.STARTSWITH), ("endsWith", Operator.ENDSWITH), ("stringContains", Operator.CONTAINS)],
)
def test_eql_string_function_between_fields_keeps_relation(function: str, relation: Operator):
    p = _one(f"network where not {function}(string(destination.ip), string(host.ip))")
    assert (p.field, p.operator, p.value, p.relation) == ("destination.ip", Operator.FIELDREF, "host.ip", relation)
    assert (p.negated, p.modifiers) == (True, (function.lower(), "string", "rhs:string"))


@pytest.mark.parametrize(("op", "relation"), [("<", Operator.LT), (">=", Operator.GTE)])
def test_eql_comparison_between_fields_is_fieldref_relation(op: str, relation: Operator):
    p = _one(f"process where process.pid {op} process.parent.pid")
    assert (p.operator, p.value, p.relation, p.modifiers) == (Operator.FIELDREF, "process.parent.pid", relation, ())


def test_eql_field_equality_and_in_list_fieldref_has_no_relation():
    equal, listed = _conditions("process where a.b == c.d and e.f in (g.h)")
    assert (equal.operator, equal.relation) == (Operator.FIELDREF, None)
    assert (listed.operator, listed.relation) == (Operator.FIELDREF, None)


def test_eql_field_as_pattern_or_network_is_an_issue():
    result = parse_eql("network where cidrmatch(source.ip, destination.ip) and wildcard(a.b, c.d)")
    assert [p.field for p in result.predicates] == ["event.category"]
    assert len(result.issues) == 2 and "is a field, not a pattern" in result.issues[0]


def test_eql_matchlite_is_regex_match():
    p = _one('process where matchLite(process.name, """[a-z]+\\.exe""")')
    assert (p.operator, p.value, p.modifiers) == (Operator.REGEX_MATCH, "[a-z]+\\.exe", ("matchlite",))


def test_eql_uninterpreted_terms_are_issues_and_the_rest_is_kept():
    result = parse_eql(
        'authentication where user.name : "*$" and startswith~(host.name, substring(user.name, 0, -1)) '
        "and indexOf(host.ip, source.ip) == null and process.pid + 1 > 3"
    )
    assert [p.field for p in result.predicates] == ["event.category", "user.name"]
    assert len(result.issues) == 3
    assert "substring(user.name, 0, -1)" in result.issues[0]
    assert "left side is not a field" in result.issues[1]


def test_eql_unknown_boolean_function_is_an_issue():
    result = parse_eql('process where between(process.command_line, "a", "b") != "" or process.pid == 4')
    assert [p.field for p in result.predicates] == ["event.category", "process.pid"]
    assert result.issues and "between" in result.issues[0]


def test_eql_string_escapes_are_decoded_and_raw_value_kept():
    p = _one(r'file where file.path == "C:\\Temp\\\"x\".txt\u{41}"')
    assert p.value == 'C:\\Temp\\"x".txt' + "A"
    assert p.raw_value == r'"C:\\Temp\\\"x\".txt\u{41}"'


def test_eql_triple_quoted_string_is_raw():
    assert _one(r'process where process.command_line : """C:\Users\*"""').value == r"C:\Users\*"


def test_eql_bare_boolean_field_means_true():
    p = _one("process where process.interactive")
    assert (p.field, p.operator, p.value) == ("process.interactive", Operator.EQ, "true")


def test_eql_sequence_groups_logic_and_options(fixtures: Path):
    result = parse_eql((fixtures / "elastic" / "eql" / "sequence_runs_until.eql").read_text())
    assert result.issues == []
    groups = [p.group for p in result.predicates]
    assert groups[:4] == ["sequence[0]"] * 4
    assert set(groups) == {"sequence[0]", "sequence[1]", "sequence[2]", "until"}
    logic = result.logic
    assert len(logic["sequence"]) == 3
    assert logic["by"] == ["host.id", "user.name"]
    assert logic["maxspan"] == "5m"
    assert logic["runs"] == [3, 1, 1]
    assert logic["step_by"] == [[], ["process.entity_id"], []]
    assert logic["until"] == {"and": [{"p": 10}, {"p": 11}]}
    assert result.predicates[11].value == "logged-out"


def test_eql_sequence_exclusions_are_decided_per_subquery(fixtures: Path):
    result = parse_eql((fixtures / "elastic" / "eql" / "sequence_runs_until.eql").read_text())
    excluded = [(p.group, p.value) for p in result.predicates if p.exclusion]
    assert excluded == [
        ("sequence[0]", "127.0.0.1"),
        ("sequence[0]", "::1"),
        ("sequence[1]", "explorer.exe"),
    ]


def test_eql_missing_event_step_is_negated_not_excluded(fixtures: Path):
    result = parse_eql((fixtures / "elastic" / "eql" / "sequence_runs_until.eql").read_text())
    missing = [p for p in result.predicates if p.group == "sequence[2]"]
    assert [(p.field, p.negated, p.exclusion) for p in missing] == [
        ("event.category", True, False),
        ("file.extension", True, False),
    ]
    assert result.logic["sequence"][2] == {"not": {"and": [{"p": 8}, {"p": 9}]}}


def test_eql_sample_by():
    result = parse_eql(
        'sample by host.id [process where process.name == "a"]'
        ' [network where not cidrmatch(destination.ip, "127.0.0.0/8")]'
    )
    assert result.logic["sample"] == [{"and": [{"p": 0}, {"p": 1}]}, {"and": [{"p": 2}, {"not": {"p": 3}}]}]
    assert result.logic["by"] == ["host.id"]
    assert [p.group for p in result.predicates] == ["sample[0]"] * 2 + ["sample[1]"] * 2
    assert result.predicates[3].exclusion


def test_eql_pipes_are_ignored():
    plain = parse_eql('process where process.name == "a"')
    piped = parse_eql('process where process.name == "a" | unique process.name | head 5')
    assert piped == plain


@pytest.mark.parametrize(
    "query",
    [
        "process where",
        "process where (a == 1",
        "process where a === 1",
        'process where a == "unterminated',
        "sequence [process where true",
        "process where a.b like~ c.d",
        "process where\n a == 1 and\n",
    ],
)
def test_eql_malformed_query_raises_one_line_syntax_error(query: str):
    with pytest.raises(QuerySyntaxError) as caught:
        parse_eql(query)
    message = str(caught.value)
    assert message.startswith("EQL syntax error")
    assert "\n" not in message


def test_eql_syntax_error_names_line_and_column():
    with pytest.raises(QuerySyntaxError, match="at line 1, column 19: unexpected '='"):
        parse_eql("process where a === 1")
    with pytest.raises(QuerySyntaxError, match="at line 2, column 12: unexpected end of query"):
        parse_eql("process where\n a == 1 and\n")  # the column just past the last token


def test_eql_empty_query_is_syntax_error():
    with pytest.raises(QuerySyntaxError, match="empty query"):
        parse_eql("  \n ")


# --- the real corpus -----------------------------------------------------------------------------


def _corpus_queries(corpora: Path, language: str) -> list[tuple[str, str]]:
    marker = f'language = "{language}"'.encode()
    out = []
    for folder in ("rules", "rules_building_block"):
        for path in sorted((corpora / "elastic" / folder).rglob("*.toml")):
            data = path.read_bytes()
            if marker in data:
                rule = tomllib.loads(data.decode())["rule"]
                if rule.get("language") == language:
                    out.append((path.name, rule["query"]))
    return out


@pytest.mark.corpus
def test_eql_corpus_every_rule_parses_and_yields_predicates(corpora: Path):
    queries = _corpus_queries(corpora, "eql")
    assert len(queries) >= 1000
    results = {name: parse_eql(query) for name, query in queries}
    without = [name for name, result in results.items() if not result.predicates]
    assert len(without) <= len(queries) * 0.005, without
    partial = [name for name, result in results.items() if result.issues]
    assert len(partial) <= 15, partial
    assert sum(p.exclusion for r in results.values() for p in r.predicates) > 5000
