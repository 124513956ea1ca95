"""SPL -> predicates (loader/splunk/spl.py, expr.py, commands.py, spl.lark)."""
from __future__ import annotations

from loader.model import Operator, Predicate, Scope
from loader.splunk.macros import Macro, MacroLibrary
from loader.splunk.spl import parse_spl

MACROS = MacroLibrary({m.name: m for m in [
    Macro("process_powershell", "(Processes.process_name=pwsh.exe OR Processes.process_name=powershell.exe)"),
    Macro("shells", "(`process_powershell` OR Processes.process_name=cmd.exe)"),
    Macro("sysmon", "source=XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"),
    Macro("brand_abuse_dns", "lookup update=true brandMonitoring_lookup domain as query OUTPUT domain_abuse"
                             " | search domain_abuse=true"),
    Macro("field_equals", '$field$="$value$"', ("field", "value")),
]})


def parse(spl: str):
    return parse_spl(spl, MACROS)


def only_of(result) -> Predicate:
    assert len(result.predicates) == 1, result.predicates
    return result.predicates[0]


def only(spl: str) -> Predicate:
    return only_of(parse(spl))


def triples(spl: str) -> list[tuple]:
    return [(p.field, str(p.operator), p.value, p.negated) for p in parse(spl).predicates]


# ---------------------------------------------------------------- search syntax
def test_spl_search_field_value_forms():
    assert triples('a=1 b!=x c=*mid* "phrase here" d>5 e<=2 f=10.0.0.0/8 g=*') == [
        ("a", "eq", "1", False),
        ("b", "eq", "x", True),
        ("c", "wildcard", "*mid*", False),
        (None, "match", "phrase here", False),
        ("d", "gt", "5", False),
        ("e", "lte", "2", False),
        ("f", "cidr", "10.0.0.0/8", False),
        ("g", "exists", None, False),
    ]


def test_spl_search_or_binds_tighter_than_implicit_and():
    result = parse("a=1 b=2 OR c=3")
    assert result.logic == {"and": [{"p": 0}, {"or": [{"p": 1}, {"p": 2}]}]}


def test_spl_search_keywords_are_upper_case_only():
    assert triples("a=1 or b=2") == [("a", "eq", "1", False), (None, "match", "or", False), ("b", "eq", "2", False)]


def test_spl_search_in_list_gives_one_predicate_per_value():
    result = parse('Processes.process_name IN ("a.exe", b*.exe,, c.exe)')
    assert [(p.operator, p.value) for p in result.predicates] == [
        (Operator.EQ, "a.exe"), (Operator.WILDCARD, "b*.exe"), (Operator.EQ, "c.exe")]
    assert result.logic == {"or": [{"p": 0}, {"p": 1}, {"p": 2}]}


def test_spl_search_quoted_values_are_unescaped_and_raw_kept():
    p = only('Processes.process="*\\\\C$\\\\*"')
    assert (p.value, p.raw_value) == ("*\\C$\\*", "*\\\\C$\\\\*")
    assert only('"user.name"=bob').field == "user.name"
    assert only("Processes.process=*GetCurrent()*").value == "*GetCurrent()*"


def test_spl_search_term_and_case_modifiers():
    got = [(p.value, p.modifiers) for p in parse("TERM(10.0.0.1) CASE(Admin) plain").predicates]
    assert got == [("10.0.0.1", ("term",)), ("Admin", ("cased",)), ("plain", ())]


def test_spl_search_time_modifiers_and_star_are_not_predicates():
    assert triples("earliest=-24h latest=now * index=main") == [("index", "eq", "main", False)]


# ---------------------------------------------------------------- exclusions
def test_spl_top_level_not_and_not_equal_are_exclusions():
    result = parse("a=1 NOT b=2 c!=3 (d=4 OR NOT e=5)")
    flags = {p.field: (p.negated, p.exclusion) for p in result.predicates}
    assert flags == {"a": (False, False), "b": (True, True), "c": (True, True), "d": (False, False),
                     "e": (True, False)}


def test_spl_exclusion_needs_a_positive_conjunct():
    assert [p.exclusion for p in parse("NOT a=1 b!=2").predicates] == [False, False]


def test_spl_later_filter_stage_exclusion_joins_main_filter():
    result = parse('a=1 | where b!="x" | search NOT c=y')
    assert [(p.field, p.exclusion, p.group) for p in result.predicates] == [
        ("a", False, "search"), ("b", True, "where[2]"), ("c", True, "search[3]")]


# ---------------------------------------------------------------- where syntax
def test_spl_where_and_binds_tighter_than_or_in_any_case():
    result = parse('| where a="1" or b="2" AND c="3"')
    assert result.logic == {"or": [{"p": 0}, {"and": [{"p": 1}, {"p": 2}]}]}


def test_spl_where_functions():
    result = parse('| where like(cmd, "%-enc%") AND match(img, "(?i)x\\\\d") AND isnull(u) AND isnotnull(v)'
                   ' AND cidrmatch("10.0.0.0/8", ip) AND searchmatch("boom") AND in(k, "a", "b")')
    got = [(p.field, str(p.operator), p.value, p.negated, p.raw_value) for p in result.predicates]
    assert got == [
        ("cmd", "wildcard", "*-enc*", False, "%-enc%"),
        ("img", "regex_match", "(?i)x\\d", False, "(?i)x\\\\d"),
        ("u", "is_null", None, False, None),
        ("v", "is_null", None, True, None),
        ("ip", "cidr", "10.0.0.0/8", False, None),
        (None, "match", "boom", False, None),
        ("k", "eq", "a", False, None),
        ("k", "eq", "b", False, None),
    ]


def test_spl_where_literals_fields_and_expressions():
    assert triples('| where src!=dest AND 5 < count AND f LIKE "a%" AND n IN ("x", other)') == [
        ("src", "fieldref", "dest", True),
        ("count", "gt", "5", False),
        ("f", "wildcard", "a*", False),
        ("n", "eq", "x", False),
        ("n", "fieldref", "other", False),
    ]
    p = only("| where len(user) >= 8")
    assert (p.field, p.operator, p.value) == ("len(user)", Operator.GTE, "8")


def test_spl_where_comparison_between_fields_is_fieldref_relation():
    p = only("| where bytes_out > bytes_in")
    assert (p.field, p.operator, p.value, p.relation, p.modifiers) == (
        "bytes_out", Operator.FIELDREF, "bytes_in", Operator.GT, ())
    mirrored = only("| where src != dest")
    assert (mirrored.operator, mirrored.relation, mirrored.negated) == (Operator.FIELDREF, None, True)


def test_spl_where_equality_with_star_is_literal():
    assert only('| where path="*tmp*"').operator is Operator.EQ


def test_spl_where_unknown_boolean_call_is_an_issue():
    result = parse('a=1 | where mvcount(x)')
    assert [p.field for p in result.predicates] == ["a"]
    assert result.issues == ["where[2]: where: not a recognised condition: mvcount(x)"]


# ---------------------------------------------------------------- tstats and data models
def test_spl_tstats_where_clause_and_datamodel():
    result = parse('| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes where'
                   ' Processes.process_name=rundll32.exe Processes.process="* by *" by Processes.dest')
    assert result.sources == ["Endpoint.Processes"]
    assert [(p.field, p.value, p.group) for p in result.predicates] == [
        ("Processes.process_name", "rundll32.exe", "tstats"), ("Processes.process", "* by *", "tstats")]


def test_spl_tstats_without_where_and_nodename_scope():
    assert parse("| tstats count from datamodel=Web by Web.src").predicates == []
    p = only("| tstats count from datamodel=Authentication where nodename=Authentication.Failed by x")
    assert p.scope is Scope.EVENT_CATEGORY
    assert parse("| from datamodel Web.Web | search a=1").sources == ["Web.Web"]


def test_spl_tstats_where_subsearch_may_contain_by():
    result = parse("| tstats count from datamodel=Endpoint.Processes where [| inputlookup tools.csv"
                   " | stats count by process | rename process as Processes.process | table Processes.process]"
                   " by Processes.dest")
    p = only_of(result)
    assert (p.field, p.operator, p.value, p.group) == ("Processes.process", Operator.LOOKUP, "tools.csv", "tstats")


def test_spl_mstats_where_clause():
    result = parse("| mstats avg(cpu) as cpu where index=metrics AND earliest=-1h by host | where cpu > 90")
    assert [(p.field, p.scope) for p in result.predicates] == [("index", Scope.FILTER), ("cpu", Scope.THRESHOLD)]


# ---------------------------------------------------------------- macros
def test_spl_macro_predicates_carry_the_outermost_macro():
    result = parse("| tstats count from datamodel=Endpoint.Processes where `shells` Processes.process=*x* by a")
    assert [(p.value, p.macro) for p in result.predicates] == [
        ("pwsh.exe", "shells"), ("powershell.exe", "shells"), ("cmd.exe", "shells"), ("*x*", None)]


def test_spl_macro_with_arguments():
    p = only("`field_equals(Image, evil.exe)`")
    assert (p.field, p.value, p.macro) == ("Image", "evil.exe", "field_equals")


def test_spl_unknown_macro_and_empty_group_keep_the_rest():
    result = parse("a=1 NOT (`missing_macro`) b=2")
    assert [p.field for p in result.predicates] == ["a", "b"]
    assert result.issues == ["unknown macro `missing_macro`: not defined in macros/"]


# ---------------------------------------------------------------- lookups, thresholds, renames
def test_spl_lookup_output_filter_becomes_lookup_predicate():
    result = parse("`sysmon` | `brand_abuse_dns`")
    p = result.predicates[-1]
    assert (p.field, p.operator, p.value, p.scope, p.negated) == (
        "query", Operator.LOOKUP, "brandMonitoring_lookup", Scope.LOOKUP, False)
    assert (p.macro, p.raw_value) == ("brand_abuse_dns", "domain_abuse=true")


def test_spl_lookup_isnull_means_not_in_lookup():
    result = parse("a=1 | rename proc as process | lookup allow process_name as process OUTPUTNEW ok"
                   " | where isnull(ok)")
    p = result.predicates[-1]
    assert (p.field, p.value, p.negated, p.exclusion) == ("proc", "allow", True, True)


def test_spl_post_aggregation_filters_are_thresholds():
    result = parse("a=1 | stats count dc(user) as users values(cmd) as cmds by host"
                   " | where count > 5 AND users >= 3 | search host=web* cmds=*enc*")
    got = [(p.field, p.scope) for p in result.predicates]
    assert got == [("a", Scope.FILTER), ("host", Scope.FILTER), ("cmd", Scope.FILTER),
                   ("count", Scope.THRESHOLD), ("users", Scope.THRESHOLD)]
    assert result.logic == {"and": [{"and": [{"p": 0}, {"p": 1}, {"p": 2}]}, {"p": 3}, {"p": 4}]}


def test_spl_eval_derived_from_aggregate_is_threshold():
    result = parse("a=1 | stats count by h | eventstats avg(count) as avg | eval hi=if(count > avg*3, 1, 0)"
                   " | eval z=h | where hi=1 AND z=web1")
    assert [(p.field, p.scope) for p in result.predicates] == [
        ("a", Scope.FILTER), ("h", Scope.FILTER), ("hi", Scope.THRESHOLD)]


def test_spl_rename_eval_and_drop_dm_record_the_original_field():
    result = parse("| tstats count from datamodel=Endpoint.Processes where a=1 by Processes.process_name"
                   " | `drop_dm_object_name(Processes)` | rename process_name as proc | eval p2=proc"
                   ' | search p2="x.exe"')
    assert result.predicates[-1].field == "Processes.process_name"


def test_spl_regex_command():
    assert triples('a=1 | regex cmd="^x\\\\d" | regex "raw"') == [
        ("a", "eq", "1", False), ("cmd", "regex_match", "^x\\d", False), ("_raw", "regex_match", "raw", False)]
    assert parse('a=1 | regex f!="y"').predicates[1].exclusion is True


# ---------------------------------------------------------------- subsearches, groups, events
def test_spl_join_subsearch_is_a_part_with_prefixed_group():
    result = parse("a=1 | join id [| tstats count from datamodel=Endpoint.Filesystem where f=*.zip by id]")
    assert [(p.field, p.group) for p in result.predicates] == [("a", "search"), ("f", "join[2]/tstats")]
    assert result.sources == ["Endpoint.Filesystem"]
    assert result.logic == {"and": [{"p": 0}, {"p": 1}]}


def test_spl_append_subsearch_is_an_alternative():
    result = parse("a=1 | append [search b=2]")
    assert result.logic == {"or": [{"p": 0}, {"p": 1}]}
    assert result.predicates[1].group == "append[2]/search"


def test_spl_inputlookup_subsearch_term_is_a_lookup_test():
    result = parse("a=1 | rename userName as identity | search NOT [| inputlookup allow.csv | fields identity"
                   " | rename identity as user2 | rename user2 as identity]")
    p = result.predicates[1]
    assert (p.field, p.operator, p.value, p.scope) == ("userName", Operator.LOOKUP, "allow.csv", Scope.LOOKUP)
    assert p.negated and p.exclusion and result.issues == []


def test_spl_other_subsearch_term_is_a_part_of_its_own():
    result = parse("a=1 [search b=2 | fields c]")
    assert [(p.field, p.group) for p in result.predicates] == [("a", "search"), ("b", "search/search")]



# ---------------------------------------------------------------- malformed input
def test_spl_malformed_stage_is_an_issue_and_other_stages_stay():
    result = parse('a=1 (b=2 | where (c="x" | stats count')
    assert [p.field for p in result.predicates] == []
    assert len(result.issues) == 2 and all("syntax error" in i for i in result.issues)
    result = parse('a=1 | where (c="x"')
    assert [p.field for p in result.predicates] == ["a"]
    assert result.issues[0].startswith("where[2]: SPL where syntax error at column")


def test_spl_unknown_command_is_an_issue_passive_command_is_not():
    assert parse("a=1 | frobnicate x | table a").issues == ["frobnicate[2]: command `frobnicate` not interpreted"]
    assert parse("a=1 | rex field=a \"(?<b>x)\" | dedup a").issues == []


def test_spl_comments_are_ignored():
    assert triples("a=1 ```b=2``` c=3") == [("a", "eq", "1", False), ("c", "eq", "3", False)]


def test_spl_garbage_never_raises():
    for spl in ['"', "(", "[", "| where", "| tstats", "| lookup", "| eval =", "`", "``` x", "| regex",
                'a="\\', "| rename as", "| stats by", "NOT", "a IN (", "| where f(", "| join [", "))"]:
        result = parse(spl)
        assert isinstance(result.issues, list)
