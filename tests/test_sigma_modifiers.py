"""The Sigma modifier registry: every modifier maps to an operator or is recorded."""
from __future__ import annotations

from sigma.modifiers import modifier_mapping

from loader.model import Operator
from loader.sigma.modifiers import LIST_AND, MODIFIERS, NEGATING, resolve_modifiers


def test_modifiers_registry_knows_every_pysigma_modifier() -> None:
    assert set(modifier_mapping) <= set(MODIFIERS)


def test_modifiers_registry_knows_spec_only_utf16le() -> None:
    assert "utf16le" in MODIFIERS and MODIFIERS["utf16le"] is None


def test_modifiers_negating_and_list_and_are_registered() -> None:
    assert NEGATING.issubset(MODIFIERS) and LIST_AND.issubset(MODIFIERS)


def test_resolve_modifiers_comparison_sets_operator() -> None:
    assert resolve_modifiers(("contains",)) == (Operator.CONTAINS, [])
    assert resolve_modifiers(("re", "i")) == (Operator.REGEX_MATCH, [])
    assert resolve_modifiers(("fieldref",)) == (Operator.FIELDREF, [])


def test_resolve_modifiers_encoding_keeps_comparison() -> None:
    assert resolve_modifiers(("wide", "base64offset", "contains")) == (Operator.CONTAINS, [])


def test_resolve_modifiers_no_operator_modifier_leaves_it_to_value() -> None:
    assert resolve_modifiers(("cased",)) == (None, [])
    assert resolve_modifiers(()) == (None, [])


def test_resolve_modifiers_unknown_names_are_returned() -> None:
    assert resolve_modifiers(("contains", "containz", "bogus")) == (Operator.CONTAINS, ["containz", "bogus"])
