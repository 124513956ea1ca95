"""The normalization layer's operator table and indicator identity (loader/normalize/): one canonical indicator
per meaning, whatever the vendor wrote — and apart when the meaning differs."""
from __future__ import annotations

import pytest

from loader.model import Operator, Predicate, Rule, Scope, Telemetry
from loader.normalize import CANONICAL_OPERATORS, Normalizer
from loader.normalize.values import classify, glob_of
from tests.conftest import ECS


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer.load(ECS)


def sigma(*predicates: Predicate, category: str = "process_creation", product: str = "windows") -> Rule:
    rule = Rule("sigma", "s", "S", "s.yml", language="sigma", telemetry=Telemetry(product=product, category=category))
    rule.predicates = list(predicates)
    return rule


def elastic(*predicates: Predicate, language: str = "kuery") -> Rule:
    rule = Rule("elastic", "e", "E", "e.toml", language=language)
    rule.predicates = list(predicates)
    return rule


def splunk(*predicates: Predicate, datamodels: tuple[str, ...] = ("Endpoint.Processes",)) -> Rule:
    rule = Rule("splunk", "p", "P", "p.yml", language="spl")
    rule.predicates = list(predicates)
    rule.telemetry.datamodels = list(datamodels)
    return rule


def canon(normalizer: Normalizer, rule: Rule) -> list[tuple]:  # type: ignore[type-arg]
    return [(c.field, c.operator, c.value, c.qualifiers) for c in normalizer.canonical(rule)]


def one(normalizer: Normalizer, rule: Rule) -> tuple:  # type: ignore[type-arg]
    return canon(normalizer, rule)[0]


def test_powershell_three_vendors_one_indicator(normalizer: Normalizer) -> None:
    keys = {
        normalizer.canonical(sigma(Predicate("Image", Operator.ENDSWITH, "\\powershell.exe")))[0].key,
        normalizer.canonical(elastic(Predicate("process.name", Operator.EQ, "powershell.exe")))[0].key,
        normalizer.canonical(splunk(Predicate("Processes.process_name", Operator.EQ, "powershell.exe")))[0].key,
        normalizer.canonical(elastic(Predicate("process.executable", Operator.WILDCARD, "*\\powershell.exe",
                                               modifiers=(":",)), language="eql"))[0].key,
    }
    assert len(keys) == 1


@pytest.mark.parametrize(("pattern", "expected"), [
    ("x", ("eq", "x")), ("*x*", ("contains", "x")), ("x*", ("startswith", "x")), ("*x", ("endswith", "x")),
    ("*", ("exists", None)), ("a*b", ("wildcard", "a*b")), ("a?c", ("wildcard", "a?c")),
    ("**x**", ("contains", "x")), ("*a*b*", ("wildcard", "*a*b*")),
])
def test_glob_classification(pattern: str, expected: tuple) -> None:  # type: ignore[type-arg]
    assert classify(glob_of(pattern)) == expected


def test_glob_escapes_per_vendor() -> None:
    assert classify(glob_of("a\\*b", escapes="*?\\")) == ("eq", "a*b")  # Sigma: \\* is a literal star
    assert classify(glob_of("C:\\Windows\\*", escapes="*?\\")) == ("eq", "C:\\Windows*")  # as pySigma reads it
    assert classify(glob_of("C:\\Windows\\\\*", escapes="*?\\")) == ("startswith", "C:\\Windows\\")
    assert classify(glob_of("a\\*b", escapes="any")) == ("eq", "a*b")  # KQL escapes any character
    assert classify(glob_of("a?b", question=False)) == ("eq", "a?b")  # SPL has no `?` wildcard
    assert classify(glob_of("*lit\\*eral*", escapes="*?\\")) == ("contains", "lit*eral")


def test_sigma_wildcard_forms_collapse(normalizer: Normalizer) -> None:
    a = one(normalizer, sigma(Predicate("CommandLine", Operator.WILDCARD, "*-enc*")))
    b = one(normalizer, sigma(Predicate("CommandLine", Operator.CONTAINS, "-ENC", modifiers=("contains",))))
    assert a == b == ("process.command_line", "contains", "-enc", ())
    assert one(normalizer, sigma(Predicate("Image", Operator.WILDCARD, "*\\net.exe"))) == (
        "process.name", "eq", "net.exe", ())


def test_case_folding_follows_the_vendor(normalizer: Normalizer) -> None:
    assert one(normalizer, sigma(Predicate("CommandLine", Operator.CONTAINS, "ABC")))[2] == "abc"
    assert one(normalizer, sigma(Predicate("CommandLine", Operator.CONTAINS, "ABC", modifiers=("cased",))))[2] == "ABC"
    assert one(normalizer, elastic(Predicate("process.name", Operator.EQ, "PowerShell.exe")))[2] == "PowerShell.exe"
    eql_cs = one(normalizer, elastic(Predicate("process.name", Operator.EQ, "PowerShell.exe"), language="eql"))
    eql_ci = one(normalizer, elastic(Predicate("process.name", Operator.EQ, "PowerShell.exe", modifiers=(":",)),
                                     language="eql"))
    assert (eql_cs[2], eql_ci[2]) == ("PowerShell.exe", "powershell.exe")
    assert one(normalizer, elastic(Predicate("process.name.caseless", Operator.EQ, "CMD.exe")))[:3] == (
        "process.name", "eq", "cmd.exe")
    esql = one(normalizer, elastic(Predicate("process.name", Operator.EQ, "cmd.exe", modifiers=("to_lower",)),
                                   language="esql"))
    assert esql[:3] == ("process.name", "eq", "cmd.exe")
    search = one(normalizer, splunk(Predicate("Processes.process_name", Operator.EQ, "CMD.EXE", group="tstats")))
    where = one(normalizer, splunk(Predicate("Processes.process_name", Operator.EQ, "CMD.EXE", group="where[3]")))
    assert (search[2], where[2]) == ("cmd.exe", "CMD.EXE")


def test_regexes_are_never_folded(normalizer: Normalizer) -> None:
    sensitive = one(normalizer, sigma(Predicate("CommandLine", Operator.REGEX_MATCH, "\\D+", modifiers=("re",))))
    insensitive = one(normalizer, sigma(Predicate("CommandLine", Operator.REGEX_MATCH, "\\D+", modifiers=("re", "i"))))
    assert sensitive == ("process.command_line", "regex_match", "\\D+", ())
    assert insensitive == ("process.command_line", "regex_match", "\\D+", ("i",))


def test_distinct_meanings_stay_apart(normalizer: Normalizer) -> None:
    image = one(normalizer, sigma(Predicate("Image", Operator.ENDSWITH, "\\net.exe")))
    parent = one(normalizer, sigma(Predicate("ParentImage", Operator.ENDSWITH, "\\net.exe")))
    net1 = one(normalizer, sigma(Predicate("Image", Operator.ENDSWITH, "\\net1.exe")))
    no_separator = one(normalizer, sigma(Predicate("Image", Operator.ENDSWITH, "net.exe")))
    assert len({image, parent, net1, no_separator}) == 4
    assert no_separator == ("process.executable", "endswith", "net.exe", ())  # also matches `xnet.exe`
    args = one(normalizer, elastic(Predicate("process.args", Operator.EQ, "-enc")))
    cmd = one(normalizer, sigma(Predicate("CommandLine", Operator.CONTAINS, "-enc")))
    assert args != cmd
    plain = one(normalizer, sigma(Predicate("CommandLine", Operator.CONTAINS, "IEX")))
    encoded = one(normalizer, sigma(Predicate("CommandLine", Operator.CONTAINS, "IEX",
                                              modifiers=("base64offset", "contains"))))
    wide = one(normalizer, sigma(Predicate("CommandLine", Operator.CONTAINS, "IEX",
                                           modifiers=("wide", "base64offset", "contains"))))
    assert len({plain, encoded, wide}) == 3 and wide[3] == ("wide", "base64offset")
    apex = one(normalizer, elastic(Predicate("dns.question.name", Operator.EQ, "example.com")))
    contains = one(normalizer, elastic(Predicate("dns.question.name", Operator.WILDCARD, "*example.com*")))
    assert apex != contains


def test_presence_lists_networks_numbers(normalizer: Normalizer) -> None:
    null = normalizer.canonical(sigma(Predicate("CommandLine", Operator.IS_NULL, None)))[0]
    assert (null.operator, null.negated) == ("exists", True)
    assert one(normalizer, sigma(Predicate("DestinationIp", Operator.CIDR, "10.1.2.3/8",
                                           modifiers=("cidr",)), category="network_connection"))[2] == "10.0.0.0/8"
    assert one(normalizer, elastic(Predicate("process.pid", Operator.GT, "5.0")))[2] == "5"
    lookup = one(normalizer, splunk(Predicate("Processes.user", Operator.LOOKUP, "admins", scope=Scope.LOOKUP)))
    placeholder = one(normalizer, sigma(Predicate("User", Operator.EQ, "%Admins%", modifiers=("expand",))))
    assert lookup[1:] == ("eq", "admins", ("list",)) and placeholder[1:] == ("eq", "admins", ("list",))


def test_fieldref_relation_and_other_field(normalizer: Normalizer) -> None:
    ref = one(normalizer, sigma(Predicate("ParentImage", Operator.FIELDREF, "Image", relation=Operator.STARTSWITH)))
    assert ref == ("process.parent.executable", "fieldref", "process.executable", ("startswith",))
    equal = one(normalizer, sigma(Predicate("ParentImage", Operator.FIELDREF, "Image")))
    assert equal[3] == ()


def test_hashes_value_names_the_field(normalizer: Normalizer) -> None:
    imphash = one(normalizer, sigma(Predicate("Hashes", Operator.CONTAINS, "IMPHASH=ABCDEF")))
    assert imphash == ("process.pe.imphash", "eq", "abcdef", ())


def test_thresholds_and_keywords(normalizer: Normalizer) -> None:
    count = one(normalizer, splunk(Predicate("count", Operator.GT, "5", scope=Scope.THRESHOLD)))
    assert count == ("aggregate:count", "gt", "5", ())
    keyword = normalizer.canonical(sigma(Predicate(None, Operator.MATCH, "Mimikatz")))[0]
    assert (keyword.field, keyword.operator, keyword.value, keyword.field_kind) == (None, "match", "mimikatz", "none")


def test_every_canonical_operator_is_in_the_vocabulary(normalizer: Normalizer) -> None:
    rules = [sigma(*(Predicate("CommandLine", op, "x") for op in Operator if op is not Operator.IS_NULL))]
    ops = {c.operator for r in rules for c in normalizer.canonical(r)}
    assert ops <= set(CANONICAL_OPERATORS)
