"""SigmaLoader over the real SigmaHQ corpus (../shared/corpora/sigma)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from loader.model import Operator, ParsedFile, Rule
from loader.sigma import SigmaLoader

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def parsed(corpora: Path) -> dict[str, ParsedFile]:
    loader = SigmaLoader(corpora / "sigma")
    return {path.relative_to(loader.root).as_posix(): loader.parse_file(path) for path in loader.files()}


@pytest.fixture(scope="module")
def rules(parsed: dict[str, ParsedFile]) -> list[Rule]:
    return [rule for p in parsed.values() for rule in p.rules]


def test_sigma_corpus_every_file_loaded_or_reported(parsed: dict[str, ParsedFile]) -> None:
    assert len(parsed) == 3952
    assert all(p.rules or p.failures for p in parsed.values())
    assert [f for p in parsed.values() for f in p.failures] == []


def test_sigma_corpus_only_known_partial_parse(rules: list[Rule]) -> None:
    partial = {r.path: r.issues for r in rules if r.partial}
    assert list(partial) == ["deprecated/other/generic_brute_force.yml"]
    assert "deprecated Sigma pipe syntax" in partial["deprecated/other/generic_brute_force.yml"][0]


def test_sigma_corpus_rule_ids_unique_and_predicates_present(rules: list[Rule]) -> None:
    assert len({r.rule_id for r in rules}) == len(rules)
    assert all(r.predicates and r.logic for r in rules)


def test_sigma_corpus_t1609_kubernetes_rules(rules: list[Rule]) -> None:
    tagged = {r.path for r in rules if any(t.technique_id == "T1609" for t in r.techniques)}
    folder = "rules/application/kubernetes/audit/"
    assert tagged == {
        folder + "kubernetes_audit_exec_into_container.yml",
        folder + "kubernetes_audit_potential_enumeration_activity.yml",
        folder + "kubernetes_audit_sidecar_injection.yml",
    }
    (exec_rule,) = [r for r in rules if r.path == folder + "kubernetes_audit_exec_into_container.yml"]
    assert [(p.field, p.operator, p.value) for p in exec_rule.predicates] == [
        ("verb", Operator.EQ, "create"),
        ("objectRef.resource", Operator.EQ, "pods"),
        ("objectRef.subresource", Operator.EQ, "exec"),
    ]


def test_sigma_corpus_filters_are_exclusions(rules: list[Rule]) -> None:
    shaped = [r for r in rules if re.fullmatch(r"selection and not 1 of filter_\w*\*", str(r.properties["condition"]))]
    assert len(shaped) > 250
    for rule in shaped:
        assert all(p.exclusion == p.group.startswith("filter_") for p in rule.predicates), rule.path


def test_sigma_corpus_deprecated_folder_flagged(rules: list[Rule]) -> None:
    deprecated = [r for r in rules if r.path.startswith("deprecated/")]
    assert len(deprecated) == 172 and all(r.deprecated for r in deprecated)


def test_sigma_corpus_techniques_well_formed(rules: list[Rule]) -> None:
    ids = [t.technique_id for r in rules for t in r.techniques]
    assert len(ids) > 4000 and all(re.fullmatch(r"T\d{4}(\.\d{3})?", i) for i in ids)
    assert all(t.tactic in r.tactics for r in rules for t in r.techniques if t.tactic)
