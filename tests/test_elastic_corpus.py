"""ElasticLoader over the real elastic/detection-rules snapshot in ../shared/corpora/elastic."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from loader.elastic import ElasticLoader
from loader.elastic.reader import ML_REASON
from loader.model import LoadFailure, Rule

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def loaded(corpora: Path) -> tuple[list[Rule], list[LoadFailure]]:
    loader = ElasticLoader(corpora / "elastic")
    rules: list[Rule] = []
    failures: list[LoadFailure] = []
    for path in loader.files():
        parsed = loader.parse_file(path)
        rules += parsed.rules
        failures += parsed.failures
    return rules, failures


def test_elastic_corpus_every_file_loads(loaded: tuple[list[Rule], list[LoadFailure]]):
    rules, failures = loaded
    assert failures == []
    assert len(rules) == 2192
    assert len({r.rule_id for r in rules}) == len(rules)
    assert Counter(r.language or r.rule_type for r in rules) == {
        "eql": 1081,
        "kuery": 792,
        "esql": 212,
        "machine_learning": 106,
        "lucene": 1,
    }


def test_elastic_corpus_query_rules_yield_predicates(loaded: tuple[list[Rule], list[LoadFailure]]):
    with_query = [r for r in loaded[0] if r.query]
    empty = {r.path: r.issues or r.no_predicates_reason for r in with_query if not r.predicates}
    assert len(empty) <= 0.005 * len(with_query), empty


def test_elastic_corpus_every_kql_rule_parses_fully(loaded: tuple[list[Rule], list[LoadFailure]]):
    kql = [r for r in loaded[0] if r.language == "kuery"]
    assert len(kql) == 792
    assert {r.path: r.issues for r in kql if r.issues or not r.predicates} == {}


def test_elastic_corpus_rules_without_predicates_say_why(loaded: tuple[list[Rule], list[LoadFailure]]):
    silent = [r.path for r in loaded[0] if not r.predicates and not r.issues and not r.no_predicates_reason]
    assert silent == []
    ml = [r for r in loaded[0] if r.rule_type == "machine_learning"]
    assert len(ml) == 106
    assert all(r.no_predicates_reason == ML_REASON and not r.issues for r in ml)
    assert all(r.properties.get("machine_learning_job_ids") for r in ml)


def test_elastic_corpus_properties_are_primitives(loaded: tuple[list[Rule], list[LoadFailure]]):
    for rule in loaded[0]:
        for key, value in rule.properties.items():
            items = value if isinstance(value, list) else [value]
            assert all(isinstance(v, str | int | float | bool) for v in items), (rule.path, key)


def test_elastic_corpus_deprecated_flagged(loaded: tuple[list[Rule], list[LoadFailure]]):
    deprecated = [r for r in loaded[0] if r.deprecated]
    assert deprecated
    assert all(r.path.startswith("rules/_deprecated/") or r.status == "deprecated" for r in deprecated)
    assert all(r.deprecated for r in loaded[0] if r.path.startswith("rules/_deprecated/"))


def test_elastic_corpus_attack_tactics_are_shortnames(loaded: tuple[list[Rule], list[LoadFailure]]):
    tactics = {t.tactic for r in loaded[0] for t in r.techniques} | {t for r in loaded[0] for t in r.tactics}
    assert {"execution", "defense-evasion", "command-and-control", "credential-access"} <= tactics
    assert all(t == t.lower() and " " not in t for t in tactics if t)


def test_elastic_corpus_t1609_rules_load_with_predicates(loaded: tuple[list[Rule], list[LoadFailure]]):
    t1609 = [r for r in loaded[0] if any(t.technique_id.startswith("T1609") for t in r.techniques)]
    assert len(t1609) == 33
    assert {r.title: r.issues for r in t1609 if not r.predicates} == {}


def test_elastic_corpus_kubernetes_user_exec_into_pod(loaded: tuple[list[Rule], list[LoadFailure]]):
    (rule,) = [r for r in loaded[0] if r.title == "Kubernetes User Exec into Pod"]
    positive = {(p.field, p.value) for p in rule.predicates if not p.negated}
    assert ("kubernetes.audit.verb", "create") in positive
    assert ("kubernetes.audit.objectRef.subresource", "exec") in positive
    excluded = {p.field for p in rule.predicates if p.exclusion}
    assert {"kubernetes.audit.objectRef.namespace", "kubernetes.audit.requestURI"} <= excluded
    namespaces = {p.value for p in rule.predicates if p.exclusion and p.field.endswith("objectRef.namespace")}
    assert {"kube-system", "elasticsearch-cluster"} <= namespaces


def test_elastic_corpus_kql_filters_rules_have_filter_exclusions(loaded: tuple[list[Rule], list[LoadFailure]]):
    (rule,) = [r for r in loaded[0] if r.path.endswith("credential_access_lsass_memdump_handle_access.toml")]
    filtered = [p for p in rule.predicates if p.group == "filters"]
    assert len(filtered) == 3
    assert all(p.exclusion and p.negated for p in filtered)


def test_elastic_corpus_threat_match_rules_keep_both_sides(loaded: tuple[list[Rule], list[LoadFailure]]):
    threat_match = [r for r in loaded[0] if r.rule_type == "threat_match"]
    assert len(threat_match) == 9
    for rule in threat_match:
        groups = {p.group for p in rule.predicates}
        assert {None, "threat_query"} <= groups, rule.path
        assert set(rule.logic) == {"threat_match"}
        assert rule.properties["threat_mapping"]


def test_elastic_corpus_threshold_rules_have_count_predicate(loaded: tuple[list[Rule], list[LoadFailure]]):
    threshold = [r for r in loaded[0] if r.rule_type == "threshold"]
    assert len(threshold) == 31
    assert all(any(p.field == "count" and p.scope == "threshold" for p in r.predicates) for r in threshold)
