"""The Sigma modifier registry: every modifier maps to an operator or is recorded."""
from __future__ import annotations

import pytest
from sigma.modifiers import modifier_mapping

from loader.model import Operator
from loader.sigma.modifiers import LIST_AND, MODIFIERS, NEGATING, ModifierChain, resolve_modifiers


def test_modifiers_registry_knows_every_pysigma_modifier() -> None:
    assert set(modifier_mapping) <= set(MODIFIERS)


def test_modifiers_registry_knows_spec_only_utf16le() -> None:
    assert "utf16le" in MODIFIERS and MODIFIERS["utf16le"] is None


def test_modifiers_negating_and_list_and_are_registered() -> None:
    assert NEGATING.issubset(MODIFIERS) and LIST_AND.issubset(MODIFIERS)


def test_resolve_modifiers_comparison_sets_operator() -> None:
    assert resolve_modifiers(("contains",)) == ModifierChain(Operator.CONTAINS)
    assert resolve_modifiers(("re", "i")) == ModifierChain(Operator.REGEX_MATCH)
    assert resolve_modifiers(("fieldref",)) == ModifierChain(Operator.FIELDREF)


def test_resolve_modifiers_encoding_keeps_comparison() -> None:
    assert resolve_modifiers(("wide", "base64offset", "contains")) == ModifierChain(Operator.CONTAINS)


def test_resolve_modifiers_no_operator_modifier_leaves_it_to_value() -> None:
    assert resolve_modifiers(("cased",)) == ModifierChain(None)
    assert resolve_modifiers(()) == ModifierChain(None)


def test_resolve_modifiers_unknown_names_are_returned() -> None:
    chain = resolve_modifiers(("contains", "containz", "bogus"))
    assert (chain.operator, chain.unknown) == (Operator.CONTAINS, ("containz", "bogus"))


@pytest.mark.parametrize(
    ("anchor", "relation"),
    [("startswith", Operator.STARTSWITH), ("endswith", Operator.ENDSWITH), ("contains", Operator.CONTAINS)],
)
def test_resolve_modifiers_fieldref_anchor_is_its_relation(anchor: str, relation: Operator) -> None:
    assert resolve_modifiers(("fieldref", anchor)) == ModifierChain(Operator.FIELDREF, relation)


def test_resolve_modifiers_anchor_before_fieldref_is_a_problem() -> None:
    chain = resolve_modifiers(("startswith", "fieldref"))
    assert (chain.operator, chain.relation) == (Operator.FIELDREF, Operator.STARTSWITH)
    assert chain.problems == ("modifier 'startswith' must come after 'fieldref' (read as the reference's relation)",)


def test_resolve_modifiers_startswith_and_endswith_is_contains() -> None:
    assert resolve_modifiers(("startswith", "endswith")) == ModifierChain(Operator.CONTAINS)
    assert resolve_modifiers(("endswith", "startswith")) == ModifierChain(Operator.CONTAINS)
    assert resolve_modifiers(("startswith", "startswith")) == ModifierChain(Operator.STARTSWITH)


def test_resolve_modifiers_regex_wins_over_later_anchor() -> None:
    assert resolve_modifiers(("re", "contains")) == ModifierChain(Operator.REGEX_MATCH)


@pytest.mark.parametrize("chain", [("contains", "re"), ("windash", "re"), ("expand", "cidr")])
def test_resolve_modifiers_re_and_cidr_after_another_modifier_is_a_problem(chain: tuple[str, ...]) -> None:
    resolved = resolve_modifiers(chain)
    assert resolved.operator is MODIFIERS[chain[-1]]
    assert resolved.problems == (f"modifier '{chain[-1]}' must come first, not after '{chain[0]}'",)


def test_resolve_modifiers_two_comparisons_conflict() -> None:
    chain = resolve_modifiers(("gt", "lt"))
    assert chain.operator is Operator.LT
    assert chain.problems == ("modifiers 'gt' and 'lt' conflict (the last one is used)",)
