"""ES|QL parser: sources, every WHERE construct, computed columns and STATS, skipped commands, errors."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from graph_schema.errors import QuerySyntaxError
from loader.elastic.esql import parse_esql
from loader.model import Operator, Predicate, Scope

FROM = "FROM logs-*\n"


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETGRAPH_CACHE_DIR", "")


def _where(condition: str) -> list[Predicate]:
    return parse_esql(f"{FROM}| WHERE {condition}").predicates


def _one(condition: str) -> Predicate:
    (predicate,) = _where(condition)
    return predicate


def test_esql_from_patterns_are_sources_and_metadata_is_skipped():
    result = parse_esql('from logs-endpoint.events.process-*, "logs-windows.*", .alerts-security.* metadata _id')
    assert result.sources == ["logs-endpoint.events.process-*", "logs-windows.*", ".alerts-security.*"]
    assert result.predicates == []
    assert result.logic is None


def test_esql_equality_keeps_value_and_raw_value():
    assert _one('event.code == "4688"') == Predicate("event.code", Operator.EQ, "4688", raw_value='"4688"')


def test_esql_not_equal_is_negated_exclusion_when_beside_a_positive_test():
    positive, negative = _where('event.category == "process" and process.name != "cmd.exe"')
    assert (positive.negated, positive.exclusion) == (False, False)
    assert (negative.operator, negative.negated, negative.exclusion) == (Operator.EQ, True, True)


@pytest.mark.parametrize(
    ("op", "operator"), [("<", Operator.LT), ("<=", Operator.LTE), (">", Operator.GT), (">=", Operator.GTE)]
)
def test_esql_comparisons(op: str, operator: Operator):
    p = _one(f"destination.port {op} 1024")
    assert (p.field, p.operator, p.value) == ("destination.port", operator, "1024")


def test_esql_like_is_wildcard_or_eq_and_list_form():
    star, plain, first, second = _where(
        'process.name LIKE "power*" and process.args like "-enc" and file.name like ("*.ps1", "a?.bat")'
    )
    assert (star.operator, star.value, star.modifiers) == (Operator.WILDCARD, "power*", ("like",))
    assert (plain.operator, plain.value) == (Operator.EQ, "-enc")
    assert [first.value, second.value] == ["*.ps1", "a?.bat"]


def test_esql_rlike_is_regex_match():
    p = _one('process.name RLIKE """.*\\d{3}\\.exe"""')
    assert (p.operator, p.value, p.modifiers) == (Operator.REGEX_MATCH, ".*\\d{3}\\.exe", ("rlike",))


def test_esql_in_is_one_equality_per_value_or():
    result = parse_esql(f'{FROM}| WHERE event.code IN ("4624", "4625", 4634)')
    assert [(p.operator, p.value) for p in result.predicates] == [
        (Operator.EQ, "4624"),
        (Operator.EQ, "4625"),
        (Operator.EQ, "4634"),
    ]
    assert result.logic == {"or": [{"p": 0}, {"p": 1}, {"p": 2}]}


@pytest.mark.parametrize("negation", ["user.name NOT IN", "NOT user.name IN"])
def test_esql_not_in_is_a_negated_exclusion(negation: str):
    result = parse_esql(f'{FROM}| WHERE event.action == "x" AND {negation} ("root", "admin")')
    assert [(p.value, p.negated, p.exclusion) for p in result.predicates] == [
        ("x", False, False),
        ("root", True, True),
        ("admin", True, True),
    ]
    assert result.logic == {"and": [{"p": 0}, {"not": {"or": [{"p": 1}, {"p": 2}]}}]}


def test_esql_not_like_and_not_rlike():
    like, rlike = _where('a.b NOT LIKE "x*" or c.d not rlike "y.*"')
    assert (like.operator, like.negated) == (Operator.WILDCARD, True)
    assert (rlike.operator, rlike.negated) == (Operator.REGEX_MATCH, True)


def test_esql_is_null_and_is_not_null():
    is_null, not_null = _where("process.parent.name IS NULL and user.id is not null")
    assert (is_null.operator, is_null.value, is_null.negated) == (Operator.IS_NULL, None, False)
    assert (not_null.operator, not_null.value, not_null.negated) == (Operator.IS_NULL, None, True)


def test_esql_to_lower_keeps_the_inner_field_with_modifier():
    p = _one('TO_LOWER(process.command_line) LIKE "*invoke-webrequest*"')
    assert (p.field, p.operator, p.modifiers) == ("process.command_line", Operator.WILDCARD, ("like", "to_lower"))


@pytest.mark.parametrize(
    ("function", "operator"),
    [
        ("STARTS_WITH", Operator.STARTSWITH),
        ("ends_with", Operator.ENDSWITH),
        ("CIDR_MATCH", Operator.CIDR),
        ("MATCH", Operator.MATCH),
    ],
)
def test_esql_boolean_functions(function: str, operator: Operator):
    p = _one(f'{function}(process.name, "svc")')
    assert (p.field, p.operator, p.value, p.modifiers) == ("process.name", operator, "svc", (function.lower(),))


def test_esql_function_options_map_is_not_a_value():
    (p,) = _where('MATCH(process.name, "svchost.exe", {"fuzziness": 1})')
    assert (p.operator, p.value) == (Operator.MATCH, "svchost.exe")


def test_esql_match_operator():
    p = _one('message : "mimikatz"')
    assert (p.field, p.operator, p.value, p.modifiers) == ("message", Operator.MATCH, "mimikatz", (":",))


def test_esql_cast_is_a_value_function():
    p = _one('source.ip::string == "10.0.0.1"')
    assert (p.field, p.modifiers) == ("source.ip", ("to_string",))


def test_esql_backtick_field_and_negative_number():
    (p, q) = _where("`kubernetes.audit.annotations.authorization_k8s_io/decision` == \"allow\" and x.y > -5")
    assert p.field == "kubernetes.audit.annotations.authorization_k8s_io/decision"
    assert q.value == "-5"


def test_esql_keywords_are_case_insensitive_and_comments_ignored():
    query = (
        "from logs-* // a comment | with a pipe\n"
        '| wHeRe /* block | comment */ a.b == "x" AnD c.d iS nOt NuLl\n'
        "// | where commented.out == 1\n"
    )
    assert [p.field for p in parse_esql(query).predicates] == ["a.b", "c.d"]


def test_esql_top_level_where_not_is_exclusion_and_several_wheres_are_one_and():
    result = parse_esql(f'{FROM}| WHERE event.type == "start"\n| WHERE NOT process.name == "a"\n| WHERE b.c > 1')
    assert [(p.field, p.exclusion) for p in result.predicates] == [
        ("event.type", False),
        ("process.name", True),
        ("b.c", False),
    ]
    assert result.logic == {"and": [{"p": 0}, {"not": {"p": 1}}, {"p": 2}]}
    assert {p.group for p in result.predicates} == {None}


def test_esql_only_negative_wheres_are_not_exclusions():
    (p,) = parse_esql(f'{FROM}| WHERE NOT process.name == "a"').predicates
    assert (p.negated, p.exclusion) == (True, False)


def test_esql_stats_pipeline_scopes_and_logic(fixtures: Path):
    result = parse_esql((fixtures / "elastic" / "esql" / "stats_pipeline.esql").read_text())
    assert result.sources == ["logs-endpoint.events.process-*", "logs-windows.*"]
    assert result.issues == []
    assert [(p.field, p.scope, p.exclusion, p.group) for p in result.predicates] == [
        ("event.category", Scope.FILTER, False, "pipeline[0]"),
        ("process.name", Scope.FILTER, False, "pipeline[0]"),
        ("user.name", Scope.FILTER, True, "pipeline[0]"),
        ("user.name", Scope.FILTER, True, "pipeline[0]"),
        ("Esql.cmd_length", Scope.THRESHOLD, False, "pipeline[0]"),
        ("Esql.event_count", Scope.THRESHOLD, False, "pipeline[1]"),
    ]
    assert result.predicates[1].modifiers == ("like", "to_lower")
    assert result.logic["pipeline"][1] == {"p": 5}
    assert result.logic["stats_by"] == [["user.name"]]


def test_esql_where_on_a_by_field_after_stats_is_threshold():
    result = parse_esql(f'{FROM}| STATS n = COUNT(*) BY user.name\n| WHERE user.name != "svc"')
    (p,) = result.predicates
    assert (p.field, p.scope, p.group) == ("user.name", Scope.THRESHOLD, "pipeline[1]")
    assert result.logic == {"pipeline": [None, {"p": 0}], "stats_by": [["user.name"]]}


def test_esql_columns_from_dissect_grok_rename_enrich_are_threshold():
    result = parse_esql(
        FROM
        + '| DISSECT message "%{?skip} user=%{Esql.user} %{+Esql.user}"\n'
        + '| GROK url.original "%{IP:Esql.ip}:%{NUMBER:Esql.port:int} (?<Esql.rest>.*)"\n'
        + "| RENAME host.name AS Esql.host\n"
        + "| ENRICH hosts-policy ON host.id WITH Esql.owner = owner\n"
        + '| WHERE Esql.user == "a" and Esql.ip == "b" and Esql.port == 1 and Esql.rest == "c" '
        + 'and Esql.host == "d" and Esql.owner == "e" and skip == "f" and host.id == "g"'
    )
    scopes = {p.field: p.scope for p in result.predicates}
    derived = {"Esql.user", "Esql.ip", "Esql.port", "Esql.rest", "Esql.host", "Esql.owner"}
    assert {f for f, s in scopes.items() if s is Scope.THRESHOLD} == derived
    assert scopes["skip"] is scopes["host.id"] is Scope.FILTER


def test_esql_inline_stats_adds_columns_without_breaking_the_pipeline():
    result = parse_esql(
        f"{FROM}| INLINE STATS Esql.n = COUNT_DISTINCT(host.id) BY user.name\n"
        '| WHERE Esql.n < 3 and user.name == "x"'
    )
    assert [(p.field, p.scope) for p in result.predicates] == [
        ("Esql.n", Scope.THRESHOLD),
        ("user.name", Scope.FILTER),
    ]
    assert result.logic == {"and": [{"p": 0}, {"p": 1}]}


def test_esql_aggregation_where_filters_are_kept_apart():
    result = parse_esql(
        f'{FROM}| WHERE a.b == "x"\n'
        '| STATS failures = COUNT(*) WHERE event.outcome == "failure", total = COUNT(*) BY user.name\n'
        "| WHERE failures > 10"
    )
    assert [(p.field, p.group, p.scope) for p in result.predicates] == [
        ("a.b", "pipeline[0]", Scope.FILTER),
        ("failures", "pipeline[1]", Scope.THRESHOLD),
        ("event.outcome", "stats_where", Scope.FILTER),
    ]
    assert result.logic["stats_where"] == [{"p": 2}]


def test_esql_eval_column_is_threshold_even_before_stats():
    result = parse_esql(f"{FROM}| EVAL Esql.len = LENGTH(process.command_line), x = 1\n| WHERE Esql.len > 100")
    assert result.predicates[0].scope is Scope.THRESHOLD
    assert result.logic == {"p": 0}


def test_esql_skipped_commands_all_parse():
    query = (
        "FROM logs-* METADATA _id\n"
        "| MV_EXPAND event.action\n"
        "| KEEP @timestamp, host.*, `odd name`\n"
        "| DROP host.ip\n"
        "| EVAL a = CASE(x.y == 1, \"one\", \"other\"), b = DATE_TRUNC(1 hour, @timestamp), c = [1, 2]\n"
        "| SORT a DESC NULLS LAST, b\n"
        "| LIMIT 10\n"
        "| LOOKUP JOIN threat-intel ON source.ip\n"
        "| DISSECT message \"%{a} %{b}\" APPEND_SEPARATOR=\",\"\n"
        '| WHERE event.action == "x"'
    )
    result = parse_esql(query)
    assert [p.value for p in result.predicates] == ["x"]
    assert result.issues == []


def test_esql_unknown_command_is_reported_and_completion_is_not():
    result = parse_esql(
        f'{FROM}| COMPLETION Esql.answer = prompt WITH {{ "inference_id": "x|y" }}\n'
        '| FORK (WHERE a == 1) (WHERE b == 2)\n| WHERE Esql.answer == "TP"'
    )
    assert result.issues == ["command FORK is not interpreted"]
    assert result.predicates[0].scope is Scope.THRESHOLD


def test_esql_kql_function_is_parsed_with_the_kql_parser():
    result = parse_esql(f'{FROM}| WHERE KQL("""event.action:exec and not process.name:bash""") AND a.b IS NOT NULL')
    assert [(p.field, p.value, p.exclusion) for p in result.predicates] == [
        ("event.action", "exec", False),
        ("process.name", "bash", True),
        ("a.b", None, False),  # a presence test is a requirement, not an exclusion
    ]


def test_esql_invalid_kql_inside_where_is_an_issue():
    result = parse_esql(f'{FROM}| WHERE KQL("a:(b") and c.d == "e"')
    assert [p.field for p in result.predicates] == ["c.d"]
    assert len(result.issues) == 1 and result.issues[0].startswith("skipped `KQL(")


def test_esql_uninterpreted_conditions_are_issues():
    result = parse_esql(
        f'{FROM}| WHERE @timestamp > NOW() - 1 hour and DATE_DIFF("seconds", a, b) < 5 and x.y == "z" '
        "and a.b < c.d"
    )
    assert [(p.field, p.operator) for p in result.predicates] == [("x.y", Operator.EQ), ("a.b", Operator.FIELDREF)]
    assert (result.predicates[1].relation, result.predicates[1].modifiers) == (Operator.LT, ())
    assert len(result.issues) == 2
    assert "NOW() - 1 hour" in result.issues[0]


def test_esql_bare_boolean_column_means_true():
    result = parse_esql(f"{FROM}| EVAL flag = a.b == 1\n| WHERE flag")
    (p,) = result.predicates
    assert (p.field, p.operator, p.value, p.scope) == ("flag", Operator.EQ, "true", Scope.THRESHOLD)


@pytest.mark.parametrize(
    "query",
    [
        "FROM",
        "WHERE a == 1",
        "FROM logs-* | WHERE",
        'FROM logs-* | WHERE a == "unterminated',
        "FROM logs-* | WHERE a ==",
        "FROM logs-* | STATS count(*) BY",
        "FROM logs-* | | KEEP a",
        "FROM logs-* | WHERE x LIKE y",
        "FROM logs-*\n| WHERE a IN (1, 2\n| KEEP a",
    ],
)
def test_esql_malformed_query_raises_one_line_syntax_error(query: str):
    with pytest.raises(QuerySyntaxError) as caught:
        parse_esql(query)
    message = str(caught.value)
    assert message.startswith("ES|QL syntax error")
    assert "\n" not in message


def test_esql_syntax_error_names_line_and_column():
    with pytest.raises(QuerySyntaxError, match="at line 2, column 14: unexpected character '\"'"):
        parse_esql('FROM logs-*\n| WHERE a == "unterminated')
    with pytest.raises(QuerySyntaxError, match="at line 1, column 20: unexpected end of query"):
        parse_esql("FROM logs-* | WHERE")  # the column just past the last token


def test_esql_empty_query_is_syntax_error():
    with pytest.raises(QuerySyntaxError, match="empty query"):
        parse_esql("")


def test_esql_cached_result_equals_fresh_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixtures: Path):
    query = (fixtures / "elastic" / "esql" / "stats_pipeline.esql").read_text()
    fresh = parse_esql(query)
    monkeypatch.setenv("DETGRAPH_CACHE_DIR", str(tmp_path))
    assert parse_esql(query) == fresh  # written
    assert parse_esql(query) == fresh  # read back
    assert len(list(tmp_path.glob("esql-*/*.json"))) == 1


# --- the real corpus -----------------------------------------------------------------------------


@pytest.mark.corpus
def test_esql_corpus_every_rule_parses_and_yields_predicates(corpora: Path):
    marker = b'language = "esql"'
    queries = {}
    for folder in ("rules", "rules_building_block"):
        for path in sorted((corpora / "elastic" / folder).rglob("*.toml")):
            data = path.read_bytes()
            if marker in data:
                queries[path.name] = tomllib.loads(data.decode())["rule"]["query"]
    assert len(queries) >= 200
    results = {name: parse_esql(query) for name, query in queries.items()}
    without = [name for name, result in results.items() if not result.predicates]
    assert len(without) <= len(queries) * 0.005, without
    assert all(result.sources for result in results.values())
    partial = [name for name, result in results.items() if result.issues]
    assert len(partial) <= 20, partial
    scopes = {p.scope for r in results.values() for p in r.predicates}
    assert scopes == {Scope.FILTER, Scope.THRESHOLD}
