"""ESCU detection YAML -> Rule (loader/splunk/detection.py), on the fixture mini corpus."""
from __future__ import annotations

import pytest

from loader.model import Operator, Scope, TechniqueRef
from loader.normalize import Normalizer
from loader.splunk import SplunkLoader
from tests.conftest import ECS


@pytest.fixture(scope="module")
def loader(fixtures):
    return SplunkLoader(fixtures / "splunk")


def rule_of(loader, relative):
    parsed = loader.parse_file(loader.root / relative)
    assert parsed.failures == []
    (rule,) = parsed.rules
    return rule


def test_detection_properties(loader):
    rule = rule_of(loader, "detections/endpoint/powershell_encoded_command.yml")
    assert (rule.vendor, rule.rule_id, rule.title) == ("splunk", "11111111-1111-4111-8111-111111111111",
                                                       "PowerShell Encoded Command")
    assert rule.path == "detections/endpoint/powershell_encoded_command.yml"
    assert (rule.rule_type, rule.status, rule.deprecated, rule.language) == ("TTP", "production", False, "spl")
    assert (rule.author, rule.modified, rule.severity) == ("Detgraph Tests", "2024-10-17", None)
    assert rule.query.startswith("| tstats")
    assert rule.references == ["https://example.org/encoded-powershell"]
    assert rule.false_positives == ["Administrative scripts."]
    assert rule.techniques == [TechniqueRef("T1059.001"), TechniqueRef("T1027")]
    assert rule.tags == ["T1059.001", "T1027", "CVE-2021-44228"]
    assert rule.properties["analytic_stories"] == ["Malicious PowerShell"]
    assert rule.properties["how_to_implement"].startswith("Ingest process creation")
    assert (rule.properties["confidence"], rule.properties["impact"], rule.properties["risk_score"]) == (80, 70, 56)
    assert "observable" not in rule.properties and "mitre_attack_id" not in rule.properties
    assert rule.telemetry.data_sources == ["Sysmon EventID 1", "Windows Event Log Security 4688",
                                           "CrowdStrike ProcessRollup2"]
    assert rule.telemetry.datamodels == ["Endpoint.Processes"]
    assert rule.issues == [] and not rule.partial


@pytest.fixture(scope="module")
def normalizer(loader):
    normalizer = Normalizer.load(ECS)
    normalizer.use_data_sources(loader.data_sources())
    return normalizer


def event_keys(normalizer, rule):
    return [e.key for e in normalizer.events(rule)]


def test_detection_events_from_named_data_sources(loader, normalizer):
    rule = rule_of(loader, "detections/endpoint/powershell_encoded_command.yml")
    assert {"sysmon:1", "windows-security:4688"} <= set(event_keys(normalizer, rule))


def test_detection_events_from_event_code_with_generic_data_source(loader, normalizer):
    rule = rule_of(loader, "detections/endpoint/security_4688_lookup.yml")
    assert event_keys(normalizer, rule) == ["windows-security:4688"]


def test_detection_predicates_macro_exclusion_threshold(loader):
    rule = rule_of(loader, "detections/endpoint/powershell_encoded_command.yml")
    by_value = {p.value: p for p in rule.predicates}
    assert by_value["powershell.exe"].macro == "process_powershell"
    assert by_value["powershell.exe"].field == "Processes.process_name"
    assert by_value["explorer.exe"].exclusion and by_value["explorer.exe"].negated
    assert by_value["services.exe"].field == "Processes.parent_process_name"
    assert by_value["services.exe"].exclusion
    assert (by_value["5"].field, by_value["5"].scope) == ("count", Scope.THRESHOLD)


def test_detection_lookup_rename_and_threshold(loader):
    rule = rule_of(loader, "detections/endpoint/security_4688_lookup.yml")
    lookup = [p for p in rule.predicates if p.operator is Operator.LOOKUP]
    assert [(p.field, p.value, p.scope) for p in lookup] == [
        ("NewProcessName", "suspicious_process_lookup", Scope.LOOKUP)]
    assert [p.field for p in rule.predicates if p.scope is Scope.THRESHOLD] == ["count"]


def test_detection_unknown_macro_is_partial(loader):
    rule = rule_of(loader, "detections/cloud/aws_console_login_unknown_macro.yml")
    assert rule.partial and rule.issues == ["unknown macro `cloudtrail`: not defined in macros/"]
    assert [p.field for p in rule.predicates] == ["eventName", "additionalEventData.MFAUsed"]


def test_detection_malformed_spl_is_partial_with_what_parsed(loader):
    rule = rule_of(loader, "detections/endpoint/malformed_spl.yml")
    assert rule.partial and "syntax error" in rule.issues[0]
    assert [p.field for p in rule.predicates] == ["source", "EventCode", "Image"]


def test_detection_without_search_has_a_reason(loader):
    rule = rule_of(loader, "detections/endpoint/no_search.yml")
    assert rule.predicates == [] and rule.no_predicates_reason == "detection has no search"
    assert rule.query is None or rule.query == ""


def test_detection_under_deprecated_folder_is_deprecated(loader):
    rule = rule_of(loader, "detections/deprecated/old_join_rule.yml")
    assert rule.deprecated and rule.status == "production"
    assert [p.group for p in rule.predicates] == ["tstats", "join[3]/tstats"]


def test_detection_status_deprecated(tmp_path, loader):
    path = tmp_path / "detections" / "x.yml"
    path.parent.mkdir()
    path.write_text("id: abc\nname: X\nstatus: deprecated\nsearch: a=1\n")
    (rule,) = SplunkLoader(tmp_path).parse_file(path).rules
    assert rule.deprecated and rule.path == "detections/x.yml" and rule.predicates[0].field == "a"


def test_detection_invalid_yaml_is_a_load_failure(loader):
    parsed = loader.parse_file(loader.root / "detections/endpoint/invalid_yaml.yml")
    assert parsed.rules == []
    (failure,) = parsed.failures
    assert failure.path == "detections/endpoint/invalid_yaml.yml" and failure.reason.startswith("invalid YAML")


@pytest.mark.parametrize("text, reason", [
    ("- a\n- b\n", "not a detection (the YAML is no mapping)"),
    ("name: X\nsearch: a=1\n", "detection has no id"),
])
def test_detection_unusable_mapping_is_a_load_failure(tmp_path, text, reason):
    path = tmp_path / "d.yml"
    path.write_text(text)
    parsed = SplunkLoader(tmp_path).parse_file(path)
    assert parsed.rules == [] and [f.reason for f in parsed.failures] == [reason]


def test_detection_bad_technique_id_is_an_issue(tmp_path):
    path = tmp_path / "d.yml"
    path.write_text("id: abc\nname: X\nsearch: a=1\ntags:\n  mitre_attack_id: [T1059, attack.x]\n")
    (rule,) = SplunkLoader(tmp_path).parse_file(path).rules
    assert rule.techniques == [TechniqueRef("T1059")]
    assert [i for i in rule.issues if not i.startswith("missing field")] == ["not an ATT&CK technique id: 'attack.x'"]


def test_detection_macro_fan_out_is_a_partial_rule_not_a_hang(tmp_path):
    (tmp_path / "macros").mkdir()
    for i in range(9):  # ten macros, each calling the next eight times: 8**9 expansions unbounded
        (tmp_path / "macros" / f"m{i}.yml").write_text(
            f"name: m{i}\ndefinition: '{' OR '.join([f'`m{i + 1}`'] * 8)}'\n")
    (tmp_path / "macros" / "m9.yml").write_text("name: m9\ndefinition: process_name=cmd.exe\n")
    path = tmp_path / "detections" / "bomb.yml"
    path.parent.mkdir()
    path.write_text("id: bomb\nname: Bomb\nsearch: 'index=main user=x `m0` | stats count'\n")
    (rule,) = SplunkLoader(tmp_path).parse_file(path).rules
    assert rule.partial
    assert any(issue.startswith("macros expand to more than") for issue in rule.issues)
    assert [(p.field, p.value) for p in rule.predicates] == [("index", "main"), ("user", "x")]


COMPLETE = {"id": "abc", "name": "X", "date": "2026-01-01", "author": "a", "type": "TTP", "status": "production",
            "description": "d", "search": "a=1", "how_to_implement": "h", "known_false_positives": "none",
            "references": ["https://x.invalid"], "tags": {"analytic_story": ["s"], "mitre_attack_id": ["T1059"]}}


def _parsed(tmp_path, data):
    import yaml

    path = tmp_path / "d.yml"
    path.write_text(yaml.safe_dump(data))
    (rule,) = SplunkLoader(tmp_path).parse_file(path).rules
    return rule


def test_detection_complete_is_clean(tmp_path):
    assert _parsed(tmp_path, COMPLETE).issues == []


def test_detection_truncated_without_tags_is_partial(tmp_path):
    rule = _parsed(tmp_path, {k: v for k, v in COMPLETE.items() if k != "tags"})
    assert rule.partial and rule.issues == ["missing field 'tags'"]


@pytest.mark.parametrize("key, value, issue", [
    ("tags", ["T1059"], "field 'tags' is a list, expected a mapping (ignored)"),
    ("tags", {"analytic_story": ["s"], "mitre_attack_id": {"a": 1}},
     "field 'tags.mitre_attack_id' is a mapping, expected a list of strings (ignored)"),
    ("tags", {"mitre_attack_id": ["T1059"]}, "missing field 'tags.analytic_story'"),
    ("references", [{"url": "x"}, "https://ok.invalid"], "field 'references' item 1 is a mapping, expected a string "
                                                         "(dropped)"),
    ("name", ["X"], "field 'name' is a list, expected a string (ignored)"),
    ("search", {"q": 1}, "field 'search' is a mapping, expected a string (ignored)"),
])
def test_detection_wrong_type_is_an_issue_not_a_silent_drop(tmp_path, key, value, issue):
    rule = _parsed(tmp_path, {**COMPLETE, key: value})
    assert rule.partial and issue in rule.issues


@pytest.mark.parametrize("data, reason", [
    (b"id: x\nname: caf\xe9\n", "not UTF-8 text at line 2, byte 15: invalid continuation byte"),
    (b"id: x\nname: \x00\x01\n", "unreadable character '\\x00' at position 12: control characters are not allowed"),
    (b"id: x\nname: [a, b\n", "invalid YAML at line 3, column 1: "),
])
def test_detection_unreadable_text_names_the_position(tmp_path, data, reason):
    path = tmp_path / "d.yml"
    path.write_bytes(data)
    (failure,) = SplunkLoader(tmp_path).parse_file(path).failures
    assert failure.reason.startswith(reason)


def test_detection_bom_and_deep_nesting(tmp_path):
    import yaml

    bom = tmp_path / "bom.yml"
    bom.write_bytes(b"\xef\xbb\xbf" + yaml.safe_dump(COMPLETE).encode())
    (rule,) = SplunkLoader(tmp_path).parse_file(bom).rules
    assert rule.issues == []
    deep = tmp_path / "deep.yml"
    deep.write_text(yaml.safe_dump(COMPLETE) + "extra: " + "[" * 500 + "]" * 500 + "\n")
    (rule,) = SplunkLoader(tmp_path).parse_file(deep).rules
    assert rule.issues == []
