"""ElasticLoader on hand-written TOML fixtures: metadata, ATT&CK, rule types, filters, failures."""
from __future__ import annotations

from pathlib import Path

import pytest

from loader.elastic import ElasticLoader
from loader.elastic.reader import ML_REASON, read_rule
from loader.model import LoadFailure, Operator, Rule, Scope, TechniqueRef


@pytest.fixture(scope="module")
def loader(fixtures: Path) -> ElasticLoader:
    return ElasticLoader(fixtures / "elastic")


def _rule(loader: ElasticLoader, rel: str) -> Rule:
    parsed = loader.parse_file(loader.root / rel)
    assert parsed.failures == []
    (rule,) = parsed.rules
    return rule


def test_elastic_reader_files_sorted_under_rule_dirs(loader: ElasticLoader):
    files = [f.relative_to(loader.root).as_posix() for f in loader.files()]
    assert files == sorted(files)
    assert "rules/_deprecated/lucene.toml" in files
    assert "rules_building_block/eql_bbr.toml" in files
    assert all(f.endswith(".toml") for f in files)


def test_elastic_reader_metadata(loader: ElasticLoader):
    rule = _rule(loader, "rules/windows/kuery_filters.toml")
    assert (rule.vendor, rule.rule_id, rule.title) == (
        "elastic",
        "00000000-0000-0000-0000-000000000001",
        "Fixture KQL With Filters",
    )
    assert rule.path == "rules/windows/kuery_filters.toml"
    assert (rule.rule_type, rule.language, rule.severity, rule.status) == ("query", "kuery", "medium", "production")
    assert (rule.created, rule.modified) == ("2022-02-16", "2024-05-21")
    assert rule.author == "Elastic, Fixture"
    assert rule.false_positives == ["Admin tools."]
    assert rule.tags == ["Domain: Endpoint", "OS: Windows", "Tactic: Execution"]
    assert rule.query.startswith('event.code:"4688"')
    assert rule.telemetry.index_patterns == ["logs-windows.*", "winlogbeat-*"]
    assert rule.telemetry.integrations == ["system", "windows", "endpoint"]
    assert rule.deprecated is False and rule.issues == []


def test_elastic_reader_properties_are_neo4j_primitives(loader: ElasticLoader):
    props = _rule(loader, "rules/windows/kuery_filters.toml").properties
    assert props["risk_score"] == 47
    assert props["maturity"] == "production"
    assert props["note"] == "## Triage" and props["setup"] == "## Setup"
    assert props["required_fields"] == ["event.code:keyword", "process.name:keyword"]
    assert props["related_integrations"] == ["endpoint"]
    for value in props.values():
        items = value if isinstance(value, list) else [value]
        assert all(isinstance(v, str | int | float | bool) for v in items), value


def test_elastic_reader_attack_techniques_subtechniques_and_lone_tactics(loader: ElasticLoader):
    rule = _rule(loader, "rules/windows/kuery_filters.toml")
    assert rule.techniques == [TechniqueRef("T1059", "execution"), TechniqueRef("T1059.001", "execution")]
    assert rule.tactics == ["command-and-control"]


def test_elastic_reader_kql_with_filters_exclusions(loader: ElasticLoader):
    rule = _rule(loader, "rules/windows/kuery_filters.toml")
    got = [(p.field, p.operator, p.value, p.negated, p.exclusion, p.group) for p in rule.predicates]
    assert got == [
        ("event.code", Operator.EQ, "4688", False, False, None),
        ("process.name", Operator.EQ, "cmd.exe", False, False, None),
        ("process.name", Operator.EQ, "power shell.exe", False, False, None),
        ("process.parent.name", Operator.EQ, "explorer.exe", True, True, None),
        ("process.executable", Operator.WILDCARD, "C:\\Program Files\\*.exe", True, True, "filters"),
        ("host.os.type", Operator.EQ, "windows", False, False, "filters"),
    ]
    assert rule.logic == {
        "and": [{"p": 0}, {"or": [{"p": 1}, {"p": 2}]}, {"not": {"p": 3}}, {"not": {"p": 4}}, {"p": 5}]
    }


def test_elastic_reader_threshold_predicates_and_properties(loader: ElasticLoader):
    rule = _rule(loader, "rules/windows/threshold.toml")
    threshold = [p for p in rule.predicates if p.scope is Scope.THRESHOLD]
    assert [(p.field, p.operator, p.value, p.modifiers) for p in threshold] == [
        ("count", Operator.GTE, "25", ()),
        ("user.id", Operator.GTE, "5", ("cardinality",)),
    ]
    assert rule.properties["threshold_fields"] == ["source.ip"]
    assert rule.properties["threshold_value"] == 25
    assert rule.properties["threshold_cardinality"] == ["user.id>=5"]
    assert rule.telemetry.integrations == ["o365"]


def test_elastic_reader_new_terms_properties(loader: ElasticLoader):
    rule = _rule(loader, "rules/windows/new_terms.toml")
    assert rule.properties["new_terms_fields"] == ["host.id", "process.command_line"]
    assert rule.properties["history_window_start"] == ["now-14d"]
    assert [p.operator for p in rule.predicates] == [Operator.EQ, Operator.EXISTS]


def test_elastic_reader_threat_match_indicator_side(loader: ElasticLoader):
    rule = _rule(loader, "rules/windows/threat_match.toml")
    assert [p.group for p in rule.predicates] == [None, None] + ["threat_query"] * 4 + ["threat_filters"]
    excluded = [p for p in rule.predicates if p.exclusion]
    assert [(p.field, p.value) for p in excluded] == [("labels.is_ioc_transform_source", "true")]
    assert set(rule.logic) == {"threat_match"}
    assert rule.properties["threat_index"] == ["logs-ti_*"]
    assert rule.properties["threat_mapping"] == ["source.ip=threat.indicator.ip", "destination.ip=threat.indicator.ip"]


def test_elastic_reader_machine_learning_has_no_query_by_design(loader: ElasticLoader):
    rule = _rule(loader, "rules/windows/machine_learning.toml")
    assert rule.predicates == [] and rule.issues == []
    assert rule.no_predicates_reason == ML_REASON
    assert rule.properties["machine_learning_job_ids"] == ["v3_windows_rare_script"]
    assert rule.properties["anomaly_threshold"] == 50
    assert rule.techniques == [TechniqueRef("T1059", "execution")]


def test_elastic_reader_malformed_kql_is_partial_not_failure(loader: ElasticLoader):
    rule = _rule(loader, "rules/windows/bad_kql.toml")
    assert rule.partial
    assert rule.issues[0].startswith("query: KQL syntax error")
    assert rule.predicates == []
    assert rule.techniques == [TechniqueRef("T1059", "execution")]


def test_elastic_reader_invalid_toml_is_load_failure(loader: ElasticLoader):
    parsed = loader.parse_file(loader.root / "rules/windows/invalid.toml")
    assert parsed.rules == []
    (failure,) = parsed.failures
    assert failure.path == "rules/windows/invalid.toml"
    assert failure.reason.startswith("invalid TOML")


def test_elastic_reader_missing_rule_id_is_load_failure(loader: ElasticLoader):
    (failure,) = loader.parse_file(loader.root / "rules/windows/no_rule_id.toml").failures
    assert "rule_id" in failure.reason


def test_elastic_reader_missing_file_is_load_failure(loader: ElasticLoader):
    (failure,) = loader.parse_file(loader.root / "rules/nope.toml").failures
    assert failure.path == "rules/nope.toml"


def test_elastic_reader_deprecated_lucene(loader: ElasticLoader):
    rule = _rule(loader, "rules/_deprecated/lucene.toml")
    assert rule.deprecated is True
    assert rule.properties["deprecation_date"] == "2021/03/16"
    assert [p.exclusion for p in rule.predicates] == [False] * 4 + [True]


def test_elastic_reader_eql_building_block(loader: ElasticLoader):
    rule = _rule(loader, "rules_building_block/eql_bbr.toml")
    assert rule.properties["building_block_type"] == "default"
    assert rule.issues == []
    assert ("process.name", "whoami.exe") in [(p.field, p.value) for p in rule.predicates]
    assert any(p.field == "user.name" and p.exclusion for p in rule.predicates)


COMPLETE_METADATA = {"maturity": "production", "creation_date": "2026/01/01", "updated_date": "2026/01/02"}
COMPLETE_RULE = {"rule_id": "x", "name": "X", "description": "d", "severity": "low", "risk_score": 21,
                 "author": ["a"], "tags": ["t"]}


def _doc(**rule: object) -> dict:
    """A TOML document with every field the reader expects (tests add or break the rest)."""
    return {"metadata": dict(COMPLETE_METADATA), "rule": {**COMPLETE_RULE, **rule}}


def test_elastic_reader_broken_shapes_become_issues():
    rule = read_rule(
        _doc(
            type="query",
            language="kuery",
            query="a:b",
            threat=[{"tactic": {"name": "Execution"}, "technique": [{"name": "no id"}]}],
            filters="not a list",
        ),
        "rules/x.toml",
    )
    assert isinstance(rule, Rule)
    assert rule.issues == ["field 'rule.threat[1].technique' item 1: a technique without an id (ignored)",
                           "filters: not an array of filters"]
    assert [p.field for p in rule.predicates] == ["a"]


def test_elastic_reader_unsupported_language_and_missing_query_are_issues():
    odd = read_rule(_doc(type="query", language="sql", query="select 1"), "rules/x.toml")
    assert odd.issues == ["query: unsupported language 'sql'"]
    bare = read_rule(_doc(type="query", language="kuery"), "rules/x.toml")
    assert bare.issues == ["query: the rule has no query"]


def test_elastic_reader_no_rule_table_is_failure():
    failure = read_rule({"metadata": {}}, "rules/x.toml")
    assert isinstance(failure, LoadFailure) and failure.reason == "no [rule] table"


def test_elastic_reader_esql_from_becomes_index_pattern(loader: ElasticLoader):
    rule = _rule(loader, "rules/windows/esql.toml")
    assert rule.issues == []
    assert rule.telemetry.index_patterns == ["logs-endpoint.events.process-*"]
    assert ("process.name", "whoami") in [(p.field, p.value) for p in rule.predicates]


def test_elastic_reader_filters_on_an_eql_rule_are_appended():
    rule = read_rule(
        _doc(
            type="eql",
            language="eql",
            query='process where process.name == "a.exe"',
            filters=[{"meta": {"negate": False}, "query": {"match_phrase": {"host.os.type": "windows"}}}],
        ),
        "rules/x.toml",
    )
    assert rule.issues == []
    (added,) = [p for p in rule.predicates if p.group == "filters"]
    assert (added.field, added.value) == ("host.os.type", "windows")
    assert set(rule.logic) == {"and"}


@pytest.mark.parametrize("key, value, issue", [
    ("tags", 5, "field 'rule.tags' is an integer, expected a list of strings (ignored)"),
    ("tags", {"a": 1}, "field 'rule.tags' is a mapping, expected a list of strings (ignored)"),
    ("tags", ["ok", {"b": 1}], "field 'rule.tags' item 2 is a mapping, expected a string (dropped)"),
    ("threat", "T1059", "field 'rule.threat' is a string, expected a list of mappings (ignored)"),
    ("threat", {"framework": "MITRE ATT&CK"},
     "field 'rule.threat' is a mapping, expected a list of mappings (ignored)"),
    ("threat", [{"tactic": "Execution", "technique": [{"id": "T1059"}]}],
     "field 'rule.threat' item 1 has no tactic name"),
    ("threat", [{"tactic": {"name": "Execution"}, "technique": "T1059"}],
     "field 'rule.threat[1].technique' is a string, expected a list of mappings (ignored)"),
    ("name", ["X"], "field 'rule.name' is a list, expected a string (ignored)"),
    ("author", 5, "field 'rule.author' is an integer, expected a list of strings (ignored)"),
    ("risk_score", "high", "field 'rule.risk_score' is a string, expected a number (ignored)"),
    ("index", {"a": 1}, "field 'rule.index' is a mapping, expected a list of strings (ignored)"),
])
def test_elastic_reader_wrong_type_is_an_issue_not_a_silent_drop(key: str, value: object, issue: str):
    rule = read_rule(_doc(type="query", language="kuery", query="a:b", **{key: value}), "rules/x.toml")
    assert isinstance(rule, Rule) and rule.partial
    assert issue in rule.issues
    if key == "name":
        assert rule.title == "x"  # the rule id stands in for a name that is no string


def test_elastic_reader_complete_document_is_clean_and_truncated_is_partial():
    assert read_rule(_doc(type="query", language="kuery", query="a:b"), "rules/x.toml").issues == []
    truncated = _doc(type="query", language="kuery", query="a:b")
    del truncated["rule"]["tags"], truncated["metadata"]
    rule = read_rule(truncated, "rules/x.toml")
    assert rule.issues == ["missing field 'rule.tags'", "missing field 'metadata.creation_date'",
                           "missing field 'metadata.updated_date'", "missing field 'metadata.maturity'"]


def _toml(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "rules" / "x.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("nested", ["x = " + "[" * 500 + "]" * 500, "x = " + "{a = " * 500 + "1" + "}" * 500])
def test_elastic_reader_deep_nesting_is_a_load_failure(tmp_path: Path, nested: str):
    path = _toml(tmp_path, nested + "\n")
    parsed = ElasticLoader(tmp_path).parse_file(path)
    assert parsed.rules == []
    assert [f.reason for f in parsed.failures] == ["invalid TOML: arrays or tables nested too deeply to read"]


def test_elastic_reader_bom_is_read_and_latin1_names_the_byte(tmp_path: Path, loader: ElasticLoader):
    good = (loader.root / "rules/windows/kuery_filters.toml").read_bytes()
    (rule,) = ElasticLoader(tmp_path).parse_file(_toml(tmp_path, b"\xef\xbb\xbf" + good)).rules
    assert rule.rule_id == "00000000-0000-0000-0000-000000000001"
    parsed = ElasticLoader(tmp_path).parse_file(_toml(tmp_path, b'[rule]\nname = "caf\xe9"\n'))
    assert [f.reason for f in parsed.failures] == ["not UTF-8 text at line 2, byte 18: invalid continuation byte"]
