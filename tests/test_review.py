"""`detgraph check` without a graph: reading drafts of every format, the checks on canned corpus answers,
the output formats and the SARIF 2.1.0 shape (queries/review/)."""
from __future__ import annotations

import json
from typing import Any

import pytest

from api.commands.check import FORMAT_CHOICES, LANGUAGE_CHOICES
from graph_schema.errors import BadDraft
from loader.normalize import Normalizer
from queries.review import checks
from queries.review.corpus import LoadNormalization
from queries.review.draft import LANGUAGES, parse_draft, read_draft
from queries.review.findings import KINDS, Finding, at_least, locate
from queries.review.formats import CHECK_FORMATS, render_review, sarif
from queries.review.report import Review, RuleReport
from tests.conftest import ECS

SIGMA = """title: Whoami
id: 9a1c8a2e-0000-4000-8000-000000000001
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    filter:
        ParentImage|endswith: '\\explorer.exe'
    condition: selection and not filter
"""
SPLUNK = "id: 9a1c8a2e-0000-4000-8000-000000000002\nname: x\nsearch: index=main process_name=cmd.exe\n"
ELASTIC = '[rule]\nrule_id = "x"\nname = "x"\ntype = "query"\nlanguage = "kuery"\nquery = "process.name : cmd.exe"\n'


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer.load(ECS)


class StubCorpus:
    """Canned answers of `CorpusView`: indicator rows by key, event field rows, vendor spellings, similar rules."""

    def __init__(self, known: dict[str, dict[str, Any]] | None = None, fields: list[dict[str, Any]] | None = None,
                 spellings: list[dict[str, Any]] | None = None, similar: list[dict[str, Any]] | None = None) -> None:
        self.known = known or {}
        self.fields, self.spelled, self.similar_rows = fields or [], spellings or [], similar or []

    def indicators(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.known.items() if k in keys}

    def event_fields(self, events: list[str]) -> list[dict[str, Any]]:
        return self.fields

    def spellings(self, vendor: str, logsource: str | None) -> list[dict[str, Any]]:
        return self.spelled

    def similar(self, selection: list[str], min_jaccard: float, limit: int) -> list[dict[str, Any]]:
        return self.similar_rows[:limit]


def subject(normalizer: Normalizer, text: str, name: str = "d.yml", language: str | None = None,
            corpus: StubCorpus | None = None) -> checks.DraftRule:
    (rule,) = parse_draft(read_draft(text, name, language))
    return checks.DraftRule.of(rule, text, normalizer, corpus or StubCorpus())  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "name", "language", "vendor"), [
    (SIGMA, "r.yml", None, "sigma"), (SPLUNK, "d.yaml", None, "splunk"), (ELASTIC, "r.toml", None, "elastic"),
    (ELASTIC, "no-extension", None, "elastic"), ('process.name : "cmd.exe"', "q.txt", "kql", "elastic"),
    ("process where process.name == \"cmd.exe\"", "q", "eql", "elastic"), ("index=main cmd.exe", "q", "spl", "splunk"),
    (SIGMA, "r.txt", "sigma", "sigma"),
])
def test_read_draft_decides_the_vendor(text: str, name: str, language: str | None, vendor: str) -> None:
    assert read_draft(text, name, language).vendor == vendor


@pytest.mark.parametrize(("text", "name", "language", "says"), [
    ("", "e.yml", None, "empty draft"), ("  \n\t", "e.yml", None, "empty draft"),
    ("a: [b", "bad.yml", None, "invalid YAML at line"), ("just text", "t.yml", None, "holds no mapping"),
    ("title: x\nfoo: 1\n", "x.yml", None, "neither a Sigma rule"), ("[rule\n", "x.toml", None, "invalid TOML"),
    ("[other]\na = 1\n", "x.toml", None, "no [rule] table"), ("x", "q", "cobol", "unknown language 'cobol'"),
    ("title: x\n", "x", "sigma", "no `detection`"), ("a\x00b", "bin.yml", None, "binary data"),
])
def test_read_draft_bad_input_is_bad_draft(text: str, name: str, language: str | None, says: str) -> None:
    with pytest.raises(BadDraft, match=says.replace("[", r"\[").replace("(", r"\(")) as info:
        read_draft(text, name, language)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_parse_draft_bare_query_is_a_minimal_vendor_rule() -> None:
    (kql,) = parse_draft(read_draft('process.name : "cmd.exe" and not process.parent.name : "explorer.exe"',
                                    "q.kql", "kql"))
    assert (kql.vendor, kql.language, kql.path) == ("elastic", "kuery", "q.kql")
    assert [(p.field, p.exclusion) for p in kql.predicates] == [("process.name", False), ("process.parent.name", True)]
    (spl,) = parse_draft(read_draft("index=main process_name=cmd.exe", "q.spl", "spl"))
    assert spl.vendor == "splunk" and any(p.field == "process_name" for p in spl.predicates)


def test_parse_draft_loader_refusal_is_bad_draft() -> None:
    with pytest.raises(BadDraft, match="the splunk loader found no rule: detection has no id"):
        parse_draft(read_draft("name: x\nsearch: index=main\n", "d.yml"))


def test_cli_choices_are_the_review_vocabulary() -> None:
    assert set(LANGUAGE_CHOICES) == set(LANGUAGES) and tuple(FORMAT_CHOICES) == CHECK_FORMATS


def test_check_parse_and_robustness_of_a_sigma_draft(normalizer: Normalizer) -> None:
    d = subject(normalizer, SIGMA)
    found = checks.check_parse(d, StubCorpus()) + checks.check_robustness(d, StubCorpus())  # type: ignore[arg-type]
    kinds = {f.kind: f for f in found}
    assert kinds["parse"].evidence["predicates"] == 2 and kinds["parse"].evidence["exclusions"] == 1
    assert kinds["robustness"].severity == "warning" and kinds["robustness"].evidence["level"] == 1
    assert kinds["robustness"].line == 6  # the Image line sets the level
    assert kinds["bypassable-exclusion"].line == 8 and "file name alone" in kinds["bypassable-exclusion"].reason


def test_check_noisy_needs_reach_and_standing_alone(normalizer: Normalizer) -> None:
    d = subject(normalizer, SIGMA)
    name = d.canonical[0].key
    row = {"reach": 200, "techniques": 40, "reach_sigma": 100, "reach_elastic": 60, "reach_splunk": 40}
    noisy = checks.check_noisy(subject(normalizer, SIGMA, corpus=StubCorpus({name: row})), StubCorpus())  # type: ignore[arg-type]
    assert [f.kind for f in noisy] == ["noisy-selection"] and noisy[0].evidence["reach"] == 200
    combined = SIGMA.replace("    filter:", "        CommandLine|contains: '/all'\n    filter:")
    d2 = subject(normalizer, combined, corpus=StubCorpus({name: row}))
    assert checks.check_noisy(d2, StubCorpus()) == []  # type: ignore[arg-type]
    quiet = {**row, "reach": checks.NOISY_REACH - 1}
    assert checks.check_noisy(subject(normalizer, SIGMA, corpus=StubCorpus({name: quiet})), StubCorpus()) == []  # type: ignore[arg-type]


def test_check_noisy_or_branches_each_stand_alone(normalizer: Normalizer) -> None:
    text = SIGMA.replace("condition: selection and not filter", "condition: selection or filter")
    d = subject(normalizer, text)
    assert checks._alone(d) == {0, 1}


def _review(normalizer: Normalizer) -> Review:
    d = subject(normalizer, SIGMA, "rules/whoami.yml")
    found = checks.check_parse(d, StubCorpus()) + checks.check_robustness(d, StubCorpus())  # type: ignore[arg-type]
    found.append(Finding("near-duplicate", "info", "this exists as Elastic rule X, 0.82", {"uid": "elastic:x"}))
    return Review(LoadNormalization("v1", "/ecs.json.gz"), "v1", [RuleReport(read_draft(SIGMA, "rules/whoami.yml"),
                                                                               d, found)])


def test_sarif_shape(normalizer: Normalizer) -> None:
    log = sarif(_review(normalizer).to_dict())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "detgraph" and [r["id"] for r in rules] == list(KINDS)
    assert all(r["shortDescription"]["text"] for r in rules)
    assert run["results"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note") and result["message"]["text"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "rules/whoami.yml"
        region = location["physicalLocation"].get("region")
        assert region is None or (isinstance(region["startLine"], int) and region["startLine"] >= 1)
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["robustness"] == "warning" and levels["near-duplicate"] == "note" and levels["parse"] == "note"
    assert any("region" in r["locations"][0]["physicalLocation"] for r in run["results"])


@pytest.mark.parametrize("fmt", CHECK_FORMATS)
def test_render_review_every_format(normalizer: Normalizer, fmt: str) -> None:
    out = render_review(_review(normalizer), fmt)
    assert "robustness" in out
    if fmt in ("json", "sarif"):
        json.loads(out)
    if fmt == "json":
        data = json.loads(out)
        assert data["summary"]["worst"] == "warning" and data["graph"]["same_normalization"]
        assert data["drafts"][0]["parse"]["predicates"][1]["exclusion"] is True


def test_review_worst_and_fail_on(normalizer: Normalizer) -> None:
    review = _review(normalizer)
    assert review.worst() == "warning"
    assert at_least("warning", "warning") and at_least("error", "warning") and not at_least("warning", "error")
    assert not at_least("info", "warning")


def test_locate_prefers_the_line_with_every_needle() -> None:
    text = "a: Image\nb: other\nc: image x.exe\n"
    assert locate(text, "Image", "x.exe") == 3
    assert locate(text, "Image", "nowhere") == 1
    assert locate(text, "missing") is None and locate(text) is None


def test_decode_draft_bytes() -> None:
    from queries.review.report import decode_draft

    assert decode_draft("\ufefftitle: x".encode(), "d.yml") == "title: x"
    with pytest.raises(BadDraft, match=r"d.yml: not UTF-8 text at line 2"):
        decode_draft(b"title: x\n\xff\n", "d.yml")


def test_review_text_is_public() -> None:
    import queries.review
    from queries.review import report

    assert queries.review.review_text is report.review_text and queries.review.Review is report.Review


FIT = """title: Fit
id: 9a1c8a2e-0000-4000-8000-000000000003
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\whoami.exe'
        TargetObject|contains: '\\Run\\'
        EventID: 1
        Commandline|contains: '/all'
    condition: selection
"""


def test_check_fields_not_emitted_and_misspelled(normalizer: Normalizer) -> None:
    d = subject(normalizer, FIT)
    assert d.event_keys, "process_creation links to a catalog event"
    carried = [{"field": f, "kind": "ecs", "rules": 0, "carried": True}
               for f in ("process.executable", "process.name", "process.command_line")]
    used = [{"field": "process.command_line", "kind": "ecs", "rules": 300, "carried": True}]
    spellings = [{"name": "CommandLine", "key": "sigma|process_creation|CommandLine", "rules": 300},
                 {"name": "Image", "key": "sigma|process_creation|Image", "rules": 400}]
    found = checks.check_fields(d, StubCorpus(fields=carried + used, spellings=spellings))  # type: ignore[arg-type]
    by = {(f.kind, f.evidence["vendor_field"]): f for f in found}
    assert ("field-not-emitted", "TargetObject") in by, [f.reason for f in found]
    assert by[("field-not-emitted", "TargetObject")].line == 7
    assert ("field-not-emitted", "EventID") not in by, "every Windows event carries its event id"
    typo = by[("field-unused", "Commandline")]
    assert typo.severity == "warning" and "did you mean CommandLine (300 rules)" in typo.reason and typo.line == 9
    other = [{"field": "registry.path", "kind": "ecs", "rules": 5, "carried": False}]  # where TargetObject maps
    again = checks.check_fields(d, StubCorpus(fields=carried + used + other, spellings=spellings))  # type: ignore[arg-type]
    assert ("field-not-emitted", "TargetObject") not in {(f.kind, f.evidence["vendor_field"]) for f in again}, \
        "loaded rules on the event use it: the catalog's list is incomplete, the draft is not wrong"


def test_check_duplicates_own_loaded_version_is_no_duplicate(normalizer: Normalizer) -> None:
    d = subject(normalizer, SIGMA)
    own = {"uid": f"sigma:{d.rule.rule_id}", "vendor": "sigma", "title": "Whoami", "jaccard": 1.0, "shared": 1,
           "size": 1}
    other = {"uid": "elastic:x", "vendor": "elastic", "title": "X", "jaccard": 0.85, "shared": 1, "size": 1}
    found = checks.check_duplicates(d, StubCorpus(similar=[own, other]))  # type: ignore[arg-type]
    assert [(f.kind, f.severity, f.evidence["uid"]) for f in found] == [
        ("loaded-version", "info", own["uid"]), ("near-duplicate", "warning", "elastic:x")]
    assert "this exists as Elastic rule \"X\" (elastic:x), Jaccard 0.85" in found[1].reason
