"""SigmaLoader over hand-written fixture rules: metadata, predicates, exclusions, events, broken files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from loader.model import Operator, ParsedFile, Rule, Scope, TechniqueRef
from loader.sigma import SigmaLoader


@pytest.fixture(scope="module")
def sigma_root() -> Path:
    return Path(__file__).resolve().parent / "fixtures" / "sigma"


@pytest.fixture(scope="module")
def loader(sigma_root: Path) -> SigmaLoader:
    return SigmaLoader(sigma_root)


def parse(loader: SigmaLoader, rel: str) -> ParsedFile:
    return loader.parse_file(loader.root / rel)


def only_rule(loader: SigmaLoader, rel: str) -> Rule:
    parsed = parse(loader, rel)
    assert parsed.failures == [] and len(parsed.rules) == 1
    return parsed.rules[0]


def test_sigma_files_only_rule_folders_sorted(loader: SigmaLoader) -> None:
    paths = loader.files()
    assert paths == sorted(paths)
    files = [f.relative_to(loader.root).as_posix() for f in paths]
    assert "tests/not_a_rule.yml" not in files
    assert {"deprecated/old_rule.yml", "rules-placeholder/placeholder_admins.yml"} <= set(files)
    assert len(files) == 16


def test_sigma_every_fixture_loaded_or_reported(loader: SigmaLoader) -> None:
    for path in loader.files():
        parsed = loader.parse_file(path)
        assert parsed.rules or parsed.failures, path
        assert not any("unexpected" in f.reason for f in parsed.failures), parsed.failures
        for rule in parsed.rules:
            json.dumps(rule.to_dict())  # properties are primitives
            assert rule.content_hash()


def test_sigma_metadata(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/windows/proc_creation_every_modifier.yml")
    assert (rule.vendor, rule.title) == ("sigma", "Every Modifier")
    assert rule.rule_id == "00000000-0000-4000-8000-000000000001"
    assert rule.path == "rules/windows/proc_creation_every_modifier.yml"
    assert (rule.status, rule.severity, rule.author) == ("test", "high", "detgraph tests")
    assert (rule.created, rule.modified) == ("2024-01-02", "2024/02/03")
    assert rule.references == ["https://example.org/every-modifier"]
    assert rule.false_positives == ["Unknown"]
    assert (rule.rule_type, rule.language, rule.deprecated) == ("detection", "sigma", False)
    assert (rule.telemetry.product, rule.telemetry.category, rule.telemetry.service) == (
        "windows",
        "process_creation",
        None,
    )
    assert rule.issues == []


def test_sigma_tags_techniques_and_tactics(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/windows/proc_creation_every_modifier.yml")
    assert rule.tags == ["attack.execution", "attack.t1059.001", "attack.T1204", "attack.g0016", "car.2013-05-004"]
    assert rule.techniques == [TechniqueRef("T1059.001", "execution"), TechniqueRef("T1204", "execution")]
    assert rule.tactics == ["execution"]


def test_sigma_tactic_underscores_normalised(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/windows/security_exclusions.yml")
    assert rule.tactics == ["defense-evasion"]
    assert rule.techniques == [TechniqueRef("T1070.001", "defense-evasion")]


def test_sigma_two_tactics_leave_technique_tactic_open(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/nested_negation.yml")
    assert rule.tactics == ["persistence", "privilege-escalation"]
    assert rule.techniques == [TechniqueRef("T1543", None)]


EVERY_MODIFIER = [
    ("Image", "eq", "C:\\Windows\\System32\\cmd.exe", ()),
    ("ProcessId", "eq", "4688", ()),
    ("Elevated", "eq", "true", ()),
    ("CommandLine", "wildcard", "*whoami*", ()),
    ("ParentImage", "wildcard", "C:\\Temp\\\\*", ()),
    ("Description", "is_null", None, ()),
    ("CommandLine", "contains", "mimikatz", ("contains",)),
    ("Image", "startswith", "C:\\Users\\", ("startswith",)),
    ("ParentImage", "endswith", "\\explorer.exe", ("endswith",)),
    ("OriginalFileName", "eq", "PowerShell.EXE", ("cased",)),
    ("CommandLine", "regex_match", "^a.*b$", ("re",)),
    ("Details", "regex_match", "secret", ("re", "i")),
    ("Payload", "regex_match", "^line$", ("re", "m")),
    ("Script", "regex_match", "a.b", ("re", "s")),
    ("DestinationIp", "cidr", "10.0.0.0/8", ("cidr",)),
    ("Count", "gt", "5", ("gt",)),
    ("Size", "gte", "10", ("gte",)),
    ("Level", "lt", "3", ("lt",)),
    ("Hops", "lte", "2", ("lte",)),
    ("Date", "eq", "3", ("hour",)),
    ("User", "exists", None, ("exists",)),
    ("Token", "exists", None, ("exists",)),
    ("CommandLine", "contains", " -enc ", ("contains", "all")),
    ("CommandLine", "contains", "bypass", ("contains", "all")),
    ("CommandLine", "contains", "-nop", ("contains", "windash")),
    ("Encoded", "eq", "secret", ("base64",)),
    ("EncodedCmd", "contains", "IEX", ("base64offset", "contains")),
    ("Utf16Cmd", "contains", "Invoke", ("utf16", "base64offset", "contains")),
    ("Utf16le", "eq", "le", ("utf16le", "base64")),
    ("Utf16be", "eq", "be", ("utf16be", "base64")),
    ("Wide", "contains", "ping", ("wide", "base64offset", "contains")),
    ("TargetUserName", "fieldref", "SubjectUserName", ("fieldref",)),
    ("SourceHost", "eq", "localhost", ("neq",)),
    ("User", "eq", "%admin_users%", ("expand",)),
]


def test_sigma_every_modifier_predicates(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/windows/proc_creation_every_modifier.yml")
    got = [(p.field, str(p.operator), p.value, p.modifiers) for p in rule.predicates]
    assert got == EVERY_MODIFIER
    assert {p.group for p in rule.predicates} == {
        "sel_plain", "sel_string", "sel_regex", "sel_numbers", "sel_exists", "sel_lists", "sel_refs"
    }


def test_sigma_every_modifier_negations(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/windows/proc_creation_every_modifier.yml")
    negated = {(p.field, p.negated, p.exclusion) for p in rule.predicates if p.negated}
    assert negated == {("Token", True, False), ("SourceHost", True, False)}  # under `1 of`: no exclusion
    assert rule.logic is not None and len(rule.logic["or"]) == 7


def test_sigma_exclusions_from_top_level_not(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/windows/security_exclusions.yml")
    flags = [(p.group, p.negated, p.exclusion) for p in rule.predicates]
    assert flags == [
        ("selection", False, False),
        ("selection", False, False),
        ("filter_main_system", True, True),
        ("filter_optional_backup", True, True),
    ]


def test_sigma_nested_not_is_negation_not_exclusion(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/nested_negation.yml")
    assert [(p.group, p.negated, p.exclusion) for p in rule.predicates] == [
        ("a", False, False),
        ("b", True, False),
        ("c", False, False),
    ]
    assert rule.logic == {"or": [{"and": [{"p": 0}, {"not": {"p": 1}}]}, {"p": 2}]}


def test_sigma_keywords_are_match_predicates(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/keywords.yml")
    assert [(p.field, p.operator, p.value, p.exclusion) for p in rule.predicates] == [
        (None, Operator.MATCH, "rm -rf /", False),
        (None, Operator.MATCH, "chmod 777", False),
        (None, Operator.MATCH, "wget", False),
        (None, Operator.MATCH, "curl", False),
        (None, Operator.MATCH, "test-harness", True),
    ]


def test_sigma_placeholders_kept_with_expand(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules-placeholder/placeholder_admins.yml")
    expanded = [(p.value, p.modifiers, p.exclusion) for p in rule.predicates if "expand" in p.modifiers]
    assert expanded == [
        ("%admin_accounts%", ("expand",), False),
        ("%jump_hosts%", ("contains", "expand"), True),
    ]



def test_sigma_multi_document_file(loader: SigmaLoader) -> None:
    parsed = parse(loader, "rules/multi_document.yml")
    assert parsed.failures == []
    ids = [r.rule_id for r in parsed.rules]
    assert ids == [f"00000000-0000-4000-8000-00000000000{i}" for i in (6, 7, 8)]
    assert all(r.title == "Multi Document" and r.tactics == ["discovery"] for r in parsed.rules)
    first, second, repeated = parsed.rules
    assert (first.severity, first.telemetry.service) == ("medium", "sysmon")
    assert (second.severity, second.telemetry.product) == ("high", "linux")
    assert (repeated.severity, repeated.telemetry.category) == ("high", "process_creation")
    assert [p.value for p in repeated.predicates] == ["/whoami"]


def test_sigma_correlation_rules(loader: SigmaLoader) -> None:
    base, count, values, temporal, extended = parse(loader, "rules/correlation.yml").rules
    assert base.properties["name"] == "failed_logon" and base.rule_type == "detection"
    assert (count.rule_type, count.related_rules) == ("correlation", ["failed_logon"])
    assert count.properties == {
        "correlation_type": "event_count",
        "group_by": ["IpAddress"],
        "timespan": "5m",
        "condition": '{"gte": 10}',
    }
    (threshold,) = count.predicates
    assert (threshold.field, threshold.operator, threshold.value, threshold.scope) == (
        "count",
        Operator.GTE,
        "10",
        Scope.THRESHOLD,
    )
    assert [(p.field, p.operator, p.value) for p in values.predicates] == [("TargetUserName", Operator.GT, "5")]
    assert values.properties["group_by"] == ["IpAddress"]
    assert temporal.related_rules == ["failed_logon", "00000000-0000-4000-8000-000000000002"]
    assert temporal.predicates == [] and temporal.no_predicates_reason
    assert extended.related_rules == ["failed_logon", "successful_logon"]
    assert extended.properties["condition"] == "failed_logon and not successful_logon"
    assert not any(r.issues for r in (base, count, values, temporal, extended))


def test_sigma_deprecated_rule_loads_flagged(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "deprecated/old_rule.yml")
    assert rule.deprecated and rule.created == "2019/10/25"
    assert [(p.field, p.value) for p in rule.predicates] == [("action", "failure")]
    assert rule.properties["timeframe"] == "600s"
    assert rule.partial and "deprecated Sigma pipe syntax" in rule.issues[0]


def test_sigma_deprecated_by_status_outside_folder(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(
        "title: T\nstatus: deprecated\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n"
    )
    (rule,) = SigmaLoader(tmp_path).parse_file(tmp_path / "rules" / "r.yml").rules
    assert rule.deprecated and rule.rule_id == "rules/r.yml"  # no id: the path stands in


def test_sigma_invalid_yaml_is_load_failure(loader: SigmaLoader) -> None:
    parsed = parse(loader, "rules/broken/invalid_yaml.yml")
    assert parsed.rules == []
    (failure,) = parsed.failures
    assert failure.path == "rules/broken/invalid_yaml.yml" and "invalid YAML" in failure.reason


@pytest.mark.parametrize(
    ("rel", "reason"),
    [("rules/broken/not_a_mapping.yml", "document 1 is a list, not a mapping"),
     ("rules/broken/empty.yml", "no Sigma rule in file")],
)
def test_sigma_files_without_rules_are_failures(loader: SigmaLoader, rel: str, reason: str) -> None:
    parsed = parse(loader, rel)
    assert parsed.rules == [] and [f.reason for f in parsed.failures] == [reason]


def test_sigma_unknown_modifier_is_partial(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/broken/unknown_modifier.yml")
    assert [(p.field, p.value) for p in rule.predicates] == [("Image", "\\cmd.exe")]
    assert rule.issues == ["selection: unknown modifier 'containz' in 'CommandLine|containz' (item skipped)"]


def test_sigma_missing_selection_is_partial(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/broken/missing_selection.yml")
    assert rule.logic == {"p": 0} and len(rule.predicates) == 1
    assert rule.issues == ["condition references unknown detection 'filter' (dropped)"]


def test_sigma_bad_condition_keeps_predicates_without_logic(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/broken/bad_condition.yml")
    assert rule.logic is None and [p.group for p in rule.predicates] == ["selection", "filter"]
    assert rule.partial and "predicates listed without logic" in rule.issues[0]


def test_sigma_duplicate_key_is_partial(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/broken/duplicate_key.yml")
    assert [p.value for p in rule.predicates] == ["\\powershell.exe"]
    assert rule.issues == ["duplicate key 'Image|endswith' at line 9 (the last value is used)"]


def test_sigma_invalid_metadata_reported_by_pysigma(loader: SigmaLoader) -> None:
    rule = only_rule(loader, "rules/broken/invalid_metadata.yml")
    assert rule.rule_id == "not-a-uuid" and len(rule.predicates) == 2
    assert "Sigma rule identifier must be an UUID" in rule.issues
    assert "'extreme' is not a valid Sigma rule level" in rule.issues
    assert "selection: 'Count|gt' needs a number, not 'many'" in rule.issues
    assert "selection: 'DestinationIp|cidr' value 'not-a-network' is no network" in rule.issues


def test_sigma_repeated_id_in_file_made_unique(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    body = "id: same\ntitle: T\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n"
    (tmp_path / "rules" / "r.yml").write_text(body + "---\naction: repeat\ndetection: {s: {a: 2}}\n")
    parsed = SigmaLoader(tmp_path).parse_file(tmp_path / "rules" / "r.yml")
    assert [r.rule_id for r in parsed.rules] == ["same", "same#2"]


def test_sigma_condition_list_is_or(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    body = "title: T\nlogsource: {product: x}\ndetection: {a: {f: 1}, b: {g: 2}, condition: [a, b]}\n"
    (tmp_path / "rules" / "r.yml").write_text(body)
    (rule,) = SigmaLoader(tmp_path).parse_file(tmp_path / "rules" / "r.yml").rules
    assert rule.logic == {"or": [{"p": 0}, {"p": 1}]} and rule.properties["condition"] == ["a", "b"]


@pytest.mark.parametrize("nested", ["[" * 500 + "]" * 500, "{a: " * 500 + "1" + "}" * 500])
def test_sigma_deep_nesting_never_raises(tmp_path: Path, nested: str) -> None:
    (tmp_path / "rules").mkdir()
    body = "id: deep\ntitle: T\nlogsource: {product: x}\ndetection: {s: {a: " + nested + "}, condition: s}\n"
    (tmp_path / "rules" / "r.yml").write_text(body)
    parsed = SigmaLoader(tmp_path).parse_file(tmp_path / "rules" / "r.yml")
    assert len(parsed.rules) + len(parsed.failures) == 1
    reasons = [f.reason for f in parsed.failures] + [i for r in parsed.rules for i in r.issues]
    assert reasons and all("Traceback" not in r for r in reasons)


def test_sigma_bom_and_missing_id(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    body = "title: T\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n"
    (tmp_path / "rules" / "r.yml").write_bytes(b"\xef\xbb\xbf" + body.encode())
    (rule,) = SigmaLoader(tmp_path).parse_file(tmp_path / "rules" / "r.yml").rules
    assert rule.title == "T" and rule.issues == ["missing field 'id'"]
