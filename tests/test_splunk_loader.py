"""The Splunk loader end to end: the fixture mini corpus, then the real ESCU corpus (`corpus` marker)."""
from __future__ import annotations

import pytest

from loader.model import EventRef, Operator, Rule
from loader.splunk import SplunkLoader
from loader.splunk.spl import parse_spl


def test_splunk_loader_files_are_sorted_detection_yamls(fixtures):
    loader = SplunkLoader(fixtures / "splunk")
    files = loader.files()
    assert files == sorted(files) and len(files) == 8
    assert all(f.suffix == ".yml" and "detections" in f.parts for f in files)


def test_splunk_loader_data_sources_sorted_by_name(fixtures):
    names = [ds.name for ds in SplunkLoader(fixtures / "splunk").data_sources()]
    assert names == sorted(names) and "Sysmon EventID 1" in names and len(names) == 7


def test_splunk_loader_every_fixture_file_gives_a_rule_or_a_failure(fixtures):
    loader = SplunkLoader(fixtures / "splunk")
    outcomes = [loader.parse_file(f) for f in loader.files()]
    assert all(len(o.rules) + len(o.failures) == 1 for o in outcomes)
    assert sum(len(o.failures) for o in outcomes) == 1


def test_splunk_loader_missing_folders_mean_empty_catalogues(tmp_path):
    loader = SplunkLoader(tmp_path)
    assert loader.files() == [] and loader.data_sources() == [] and loader.macros.macros == {}


# ---------------------------------------------------------------- the real corpus
@pytest.fixture(scope="module")
def escu(corpora):
    loader = SplunkLoader(corpora / "splunk")
    rules: list[Rule] = []
    failures = []
    for path in loader.files():
        parsed = loader.parse_file(path)
        rules += parsed.rules
        failures += parsed.failures
    return loader, rules, failures


@pytest.mark.corpus
def test_splunk_corpus_every_detection_loads(escu):
    loader, rules, failures = escu
    assert len(loader.files()) >= 1700
    assert len(rules) + len(failures) == len(loader.files())
    assert all(f.reason for f in failures) and len(failures) <= len(loader.files()) // 100
    assert all(not r.path.startswith("/") and r.path.startswith("detections/") for r in rules)


@pytest.mark.corpus
def test_splunk_corpus_predicate_coverage(escu):
    _, rules, _ = escu
    searched = [r for r in rules if r.query and r.query.strip()]
    without = [r for r in searched if not r.predicates]
    assert len(searched) - len(without) >= 0.98 * len(searched), [(r.path, r.no_predicates_reason) for r in without]
    assert all(r.no_predicates_reason for r in without)
    assert sum(r.partial for r in rules) <= 0.02 * len(rules)


@pytest.mark.corpus
def test_splunk_corpus_process_powershell_macro_predicates(escu):
    _, rules, _ = escu
    (rule,) = [r for r in rules if r.path == "detections/endpoint/powershell_start_bitstransfer.yml"]
    from_macro = {(p.field, p.operator, p.value) for p in rule.predicates if p.macro == "process_powershell"}
    assert ("Processes.process_name", Operator.EQ, "powershell.exe") in from_macro
    assert rule.telemetry.datamodels == ["Endpoint.Processes"]
    assert any(p.value == "*start-bitstransfer*" and p.macro is None for p in rule.predicates)


@pytest.mark.corpus
def test_splunk_corpus_deprecated(escu):
    _, rules, _ = escu
    assert all(r.deprecated for r in rules if r.path.startswith("detections/deprecated/"))


@pytest.mark.corpus
def test_splunk_corpus_data_sources(escu):
    loader, _, _ = escu
    sources = {ds.name: ds for ds in loader.data_sources()}
    assert len(sources) >= 200 and loader.catalog.failures == []
    assert sources["Sysmon EventID 1"].event == EventRef("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "1")


@pytest.mark.corpus
def test_splunk_corpus_truncated_queries_never_raise(escu):
    loader, rules, _ = escu
    for rule in rules[::7]:
        for cut in (len(rule.query) // 3, len(rule.query) // 2 + 1):
            result = parse_spl(rule.query[:cut], loader.macros)
            assert isinstance(result.predicates, list)
