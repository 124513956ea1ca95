"""Differential tests: our Sigma and EQL parsers against the reference parsers (pySigma, eql).

Every rule of the corpora, and the hand-written rules in tests/fixtures/differential/, is parsed by both
sides and reduced to one vocabulary (tests/differential.py, which documents the deliberate differences);
any difference fails the test and is listed with the rule. A rule the reference rejects must be one we
report issues for. The second half pins the defects the comparison found, on the same fixtures.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import tomli
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from loader.elastic.eql_query import parse_eql
from loader.logic import flatten
from loader.model import Operator, Predicate, Rule
from loader.sigma import SigmaLoader
from loader.sigma.detection import selection_expr
from tests import differential

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "differential"
# Our warnings that are no parse problem, so pySigma cannot agree or disagree with them.
_NOT_PARSE_ISSUES = ("duplicate key",)


@dataclass(slots=True)
class Comparison:
    """What a differential run compared, what the reference rejected, and every difference by rule."""

    compared: int = 0
    rejected: list[str] = field(default_factory=list)
    differences: dict[str, str] = field(default_factory=dict)

    def report(self) -> str:
        """The differences, one rule a line."""
        return "\n".join(f"{name}: {diff}" for name, diff in sorted(self.differences.items()))


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETGRAPH_CACHE_DIR", "")  # compare what the parser makes now, not a cached parse


# -- Sigma -----------------------------------------------------------------------------------------


def _sigma_reference(path: Path) -> list[SigmaRule | SigmaError]:
    """pySigma's detection rules of `path` (its own YAML reading and collection merging), or its error."""
    collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"), collect_errors=True)
    return [rule.errors[0] if rule.errors else rule for rule in collection.rules if isinstance(rule, SigmaRule)]


def _parse_issues(rule: Rule) -> list[str]:
    return [issue for issue in rule.issues if not issue.startswith(_NOT_PARSE_ISSUES)]


def compare_sigma(root: Path, paths: Iterable[Path]) -> Comparison:
    """Compare every Sigma detection rule of `paths` (below `root`) with pySigma's parse."""
    loader = SigmaLoader(root)
    out = Comparison()
    for path in paths:
        name = path.relative_to(root).as_posix()
        ours = [r for r in loader.parse_file(path).rules if r.rule_type == "detection"]
        references = _sigma_reference(path)
        if len(ours) != len(references):
            out.differences[name] = f"{len(ours)} rules, pySigma has {len(references)}"
            continue
        for i, (our, reference) in enumerate(zip(ours, references, strict=True)):
            label = name if len(ours) == 1 else f"{name}#{i + 1}"
            tree = None
            if not isinstance(reference, SigmaError):
                try:
                    tree = differential.sigma_reference(reference)
                except SigmaError as error:  # condition errors surface when the condition is parsed
                    reference = error
            if isinstance(reference, SigmaError):
                out.rejected.append(label)
                if not _parse_issues(our):
                    out.differences[label] = f"pySigma rejects the rule ({reference}), we report no issue"
                continue
            out.compared += 1
            diff = differential.difference(differential.sigma_ours(our), tree)
            if _parse_issues(our):
                diff = f"{diff + ' | ' if diff else ''}pySigma accepts the rule, we report {_parse_issues(our)}"
            if diff:
                out.differences[label] = diff
    return out


@pytest.mark.corpus
def test_differential_sigma_corpus_matches_pysigma(corpora: Path) -> None:
    root = corpora / "sigma"
    result = compare_sigma(root, SigmaLoader(root).files())
    assert result.compared >= 3900
    assert not result.differences, f"{len(result.differences)} rules differ:\n{result.report()}"


def test_differential_sigma_fixtures_match_pysigma() -> None:
    root = FIXTURES / "sigma"
    result = compare_sigma(root, sorted((root / "rules").glob("*.yml")))
    assert result.compared == len(list((root / "rules").glob("*.yml")))
    assert not result.differences, result.report()


def test_differential_sigma_invalid_fixtures_rejected_by_both() -> None:
    root = FIXTURES / "sigma"
    paths = sorted((root / "invalid").glob("*.yml"))
    result = compare_sigma(root, paths)
    assert len(result.rejected) == len(paths) and result.compared == 0
    assert not result.differences, result.report()


def test_differential_sigma_detects_a_changed_predicate() -> None:
    """The comparison can fail: a relation, an operator or a negation changed on our side is reported."""
    root = FIXTURES / "sigma"
    path = root / "rules" / "fieldref_relations.yml"
    (rule,) = SigmaLoader(root).parse_file(path).rules
    (reference,) = _sigma_reference(path)
    expected = differential.sigma_reference(reference)
    assert differential.difference(differential.sigma_ours(rule), expected) is None
    for change in ({"relation": None}, {"operator": Operator.STARTSWITH}, {"negated": True}):
        rule.predicates[0] = replace(rule.predicates[0], **change)
        assert differential.difference(differential.sigma_ours(rule), expected), change


# -- EQL -------------------------------------------------------------------------------------------


def _eql_rules(root: Path) -> Iterable[tuple[str, str]]:
    """(path, query) of every `type = "eql"` rule of an elastic/detection-rules checkout."""
    for folder in ("rules", "rules_building_block"):
        for path in sorted((root / folder).rglob("*.toml")):
            data = path.read_bytes()
            if b"eql" not in data:
                continue
            rule = tomli.loads(data.decode("utf-8")).get("rule", {})
            if rule.get("type") == "eql":
                yield path.relative_to(root).as_posix(), rule["query"]


def compare_eql(queries: Iterable[tuple[str, str]]) -> Comparison:
    """Compare our parse of every (name, query) with the `eql` package's."""
    out = Comparison()
    for name, query in queries:
        try:
            expected, reference_skipped = differential.eql_reference(query)
        except Exception as error:  # eql's errors are EqlError, but any failure is the reference rejecting
            out.rejected.append(name)
            out.differences[name] = f"eql rejects the query: {str(error).splitlines()[0]}"
            continue
        out.compared += 1
        tree, skipped = differential.eql_ours(parse_eql(query))
        diff = differential.difference(tree, expected)
        if skipped != reference_skipped:
            diff = f"{diff + ' | ' if diff else ''}we skip {skipped} terms, the reference {reference_skipped}"
        if diff:
            out.differences[name] = diff
    return out


@pytest.mark.corpus
def test_differential_eql_corpus_matches_eql(corpora: Path) -> None:
    result = compare_eql(_eql_rules(corpora / "elastic"))
    assert result.compared >= 1000
    assert not result.differences, f"{len(result.differences)} rules differ:\n{result.report()}"


def _eql_fixtures() -> list[tuple[str, str]]:
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted((FIXTURES / "eql").glob("*.eql"))]


def test_differential_eql_fixtures_match_eql() -> None:
    fixtures = _eql_fixtures()
    result = compare_eql(fixtures)
    assert result.compared == len(fixtures) >= 8
    assert not result.differences, result.report()


def test_differential_eql_detects_a_changed_predicate() -> None:
    """The comparison can fail: a relation, a wrapper or a value changed on our side is reported."""
    query = (FIXTURES / "eql" / "field_to_field.eql").read_text(encoding="utf-8")
    expected, _ = differential.eql_reference(query)
    result = parse_eql(query)
    assert differential.difference(differential.eql_ours(result)[0], expected) is None
    original = result.predicates[1]
    for change in ({"relation": None}, {"modifiers": ("startswith~", "string")}, {"value": "host.name"}):
        result.predicates[1] = replace(original, **change)
        assert differential.difference(differential.eql_ours(result)[0], expected), change


# -- the defects the comparison (and the fixtures) found ------------------------------------------


def _sigma_fixture(name: str, folder: str = "rules") -> Rule:
    root = FIXTURES / "sigma"
    (rule,) = SigmaLoader(root).parse_file(root / folder / name).rules
    return rule


def _by_field(predicates: Iterable[Predicate]) -> dict[str | None, Predicate]:
    return {p.field: p for p in predicates}


def test_sigma_fieldref_with_anchor_is_a_field_reference_with_relation() -> None:
    predicates = _by_field(_sigma_fixture("fieldref_relations.yml").predicates)
    got = {f: (p.operator, p.value, p.relation, p.modifiers) for f, p in predicates.items()}
    assert got == {
        "ParentImage": (Operator.FIELDREF, "Image", Operator.STARTSWITH, ("fieldref", "startswith")),
        "CommandLine": (Operator.FIELDREF, "ParentCommandLine", Operator.CONTAINS, ("fieldref", "contains")),
        "TargetFilename": (Operator.FIELDREF, "OriginalFileName", Operator.ENDSWITH, ("fieldref", "endswith")),
        "User": (Operator.FIELDREF, "ParentUser", None, ("fieldref",)),
    }


def test_sigma_fieldref_relation_round_trips_through_dict() -> None:
    p = _by_field(_sigma_fixture("fieldref_relations.yml").predicates)["ParentImage"]
    assert p.to_dict()["relation"] == "startswith"
    assert Predicate.from_dict(p.to_dict()) == p
    plain = Predicate("a", Operator.EQ, "b")
    assert plain.to_dict()["relation"] is None and Predicate.from_dict(plain.to_dict()) == plain


def test_sigma_encoding_modifiers_keep_plain_text_and_ordered_chain() -> None:
    got = {(p.field, p.value, p.modifiers) for p in _sigma_fixture("encodings.yml").predicates}
    assert {
        ("CommandLine", "Invoke-Mimikatz", ("wide", "base64offset", "contains")),
        ("Payload", "secret", ("base64",)),
        ("Script", "IEX", ("utf16", "base64offset", "contains")),
        ("Switch", "-s", ("windash",)),
        ("CommandLine", " -enc ", ("windash", "contains")),
        ("Arguments", "-nop", ("contains", "windash")),
    } <= got


def test_sigma_utf16le_base64offset_keeps_its_chain() -> None:
    """`utf16le` is in the Sigma spec but not in pySigma 2.0, so it is checked here, not differentially."""
    issues: list[str] = []
    (p,) = flatten(selection_expr("sel", {"CommandLine|utf16le|base64offset|contains": "IEX"}, issues))[0]
    assert (p.operator, p.value, p.modifiers) == (Operator.CONTAINS, "IEX", ("utf16le", "base64offset", "contains"))
    assert issues == []


@pytest.mark.parametrize(
    ("name", "issue"),
    [
        ("contains_re.yml", "'CommandLine|contains|re': modifier 're' must come first, not after 'contains'"),
        ("cidr_host_bits.yml", "'DestinationIp|cidr' value '10.1.2.3/8' has host bits set (the network is 10.0.0.0/8)"),
        ("anchor_before_fieldref.yml", "'ParentImage|startswith|fieldref': modifier 'startswith' must come after"),
    ],
)
def test_sigma_invalid_modifier_use_is_a_rule_issue_and_kept(name: str, issue: str) -> None:
    rule = _sigma_fixture(name, "invalid")
    assert len(rule.issues) == 1 and rule.issues[0].startswith(f"selection: {issue}")
    assert rule.partial and rule.predicates and rule.logic


def test_sigma_contains_re_is_kept_as_regex() -> None:
    p = _by_field(_sigma_fixture("contains_re.yml", "invalid").predicates)["CommandLine"]
    assert (p.operator, p.value) == (Operator.REGEX_MATCH, "enc.*[A-Za-z0-9+/=]{40}")


def test_sigma_startswith_endswith_together_is_contains() -> None:
    predicates = _sigma_fixture("startswith_endswith.yml").predicates
    assert [(p.operator, p.value) for p in predicates] == [
        (Operator.CONTAINS, "mimikatz"),
        (Operator.CONTAINS, "rundll32"),
    ]


def test_sigma_numeric_looking_values_keep_their_text() -> None:
    predicates = _by_field(_sigma_fixture("values_numbers_regex.yml").predicates)
    assert [predicates[f].value for f in ("Version", "QuotedVersion", "EventID", "Ratio", "Weight")] == [
        "1.0", "1.0", "4688", "1.5", "2.0"
    ]


def test_eql_field_to_field_functions_keep_relation_and_right_side_wrapper() -> None:
    result = parse_eql((FIXTURES / "eql" / "field_to_field.eql").read_text(encoding="utf-8"))
    fieldrefs = [p for p in result.predicates if p.operator is Operator.FIELDREF]
    assert [(p.field, p.value, p.relation, p.negated, p.modifiers) for p in fieldrefs] == [
        ("destination.ip", "host.ip", Operator.STARTSWITH, True, ("startswith~", "string", "rhs:string")),
        ("source.domain", "host.name", Operator.ENDSWITH, False, ("endswith",)),
        ("process.command_line", "process.name", Operator.CONTAINS, True, ("stringcontains",)),
        ("user.name", "user.target.name", None, False, ("in",)),
    ]


def test_eql_backticked_field_and_matchlite_in_fixture() -> None:
    result = parse_eql((FIXTURES / "eql" / "functions_values.eql").read_text(encoding="utf-8"))
    assert _by_field(result.predicates)["process.my field"].value == "a b"
    regex = [p for p in result.predicates if p.operator is Operator.REGEX_MATCH]
    assert [(p.field, p.value, p.modifiers) for p in regex] == [("file.name", "[a-z]{8}\\.exe", ("matchlite",))]
    assert result.issues == []
