"""Sigma detections -> predicate trees: items, lists, keywords, values, escapes."""
from __future__ import annotations

from datetime import date

from loader.logic import And, Leaf, Not, Or, flatten
from loader.model import Operator
from loader.sigma.detection import has_wildcard, selection_expr, split_key, unescape, value_text


def _predicates(definition: object, issues: list[str] | None = None):
    issues = [] if issues is None else issues
    return flatten(selection_expr("sel", definition, issues))[0]


def test_split_key_field_and_modifiers() -> None:
    assert split_key("Image|endswith") == ("Image", ("endswith",))
    assert split_key("CommandLine|base64offset|contains") == ("CommandLine", ("base64offset", "contains"))
    assert split_key("|contains") == (None, ("contains",))
    assert split_key(None) == (None, ())
    assert split_key(4688) == ("4688", ())


def test_value_text_scalars_as_written() -> None:
    assert value_text(4688) == "4688"
    assert value_text(True) == "true"
    assert value_text(1.5) == "1.5"
    assert value_text(date(2024, 1, 2)) == "2024-01-02"


def test_has_wildcard_respects_escapes() -> None:
    assert has_wildcard("*cmd.exe")
    assert has_wildcard("a?b")
    assert not has_wildcard("a\\*b")
    assert has_wildcard("C:\\\\*")  # escaped backslash, then a real wildcard
    assert not has_wildcard("C:\\Windows\\cmd.exe")


def test_unescape_sigma_escapes_only() -> None:
    assert unescape("select \\*") == "select *"
    assert unescape("\\?manifest") == "?manifest"
    assert unescape("\\\\server") == "\\server"
    assert unescape("C:\\Windows\\") == "C:\\Windows\\"


def test_selection_mapping_is_and_of_items() -> None:
    expr = selection_expr("sel", {"a": "1", "b": "2"}, [])
    assert isinstance(expr, And) and len(expr.children) == 2


def test_selection_list_of_mappings_is_or() -> None:
    expr = selection_expr("sel", [{"a": "1"}, {"b": "2", "c": "3"}], [])
    assert isinstance(expr, Or) and isinstance(expr.children[1], And)


def test_selection_value_list_is_or_and_all_is_and() -> None:
    assert isinstance(selection_expr("sel", {"a": ["1", "2"]}, []), Or)
    assert isinstance(selection_expr("sel", {"a|contains|all": ["1", "2"]}, []), And)


def test_selection_keywords_are_match_without_field() -> None:
    preds = _predicates(["rm -rf", "wget"])
    assert [(p.field, p.operator, p.value) for p in preds] == [
        (None, Operator.MATCH, "rm -rf"),
        (None, Operator.MATCH, "wget"),
    ]


def test_selection_plain_value_eq_and_glob_wildcard() -> None:
    eq, glob = _predicates({"Image": "C:\\cmd.exe", "CommandLine": "*whoami*"})
    assert (eq.operator, eq.value, eq.raw_value) == (Operator.EQ, "C:\\cmd.exe", None)
    assert (glob.operator, glob.value) == (Operator.WILDCARD, "*whoami*")


def test_selection_escaped_value_keeps_raw_value() -> None:
    (p,) = _predicates({"query|contains": "select \\*"})
    assert (p.operator, p.value, p.raw_value) == (Operator.CONTAINS, "select *", "select \\*")


def test_selection_number_value_is_string_as_written() -> None:
    (p,) = _predicates({"EventID": 4688})
    assert (p.field, p.operator, p.value) == ("EventID", Operator.EQ, "4688")


def test_selection_null_and_empty_list_are_is_null() -> None:
    null, empty = _predicates({"Description": None, "Company": []})
    assert null.operator is Operator.IS_NULL and null.value is None
    assert empty.operator is Operator.IS_NULL


def test_selection_exists_false_is_negated_exists() -> None:
    present, absent = _predicates({"User|exists": True, "Token|exists": False})
    assert (present.operator, present.negated) == (Operator.EXISTS, False)
    assert (absent.operator, absent.negated, absent.raw_value) == (Operator.EXISTS, True, "false")


def test_selection_neq_negates_the_item() -> None:
    expr = selection_expr("sel", {"Host|neq": ["a", "b"]}, [])
    assert isinstance(expr, Not) and isinstance(expr.child, Or)
    assert all(p.negated for p in flatten(expr)[0])


def test_selection_predicates_carry_group_and_modifier_chain() -> None:
    (p,) = _predicates({"CommandLine|base64offset|contains": "IEX"})
    assert p.group == "sel" and p.modifiers == ("base64offset", "contains") and p.value == "IEX"


def test_selection_unknown_modifier_skips_item_with_issue() -> None:
    issues: list[str] = []
    preds = _predicates({"Image": "x", "CommandLine|containz": "y"}, issues)
    assert [p.field for p in preds] == ["Image"]
    assert issues == ["sel: unknown modifier 'containz' in 'CommandLine|containz' (item skipped)"]


def test_selection_empty_detection_is_reported() -> None:
    issues: list[str] = []
    assert selection_expr("sel", None, issues) is None
    assert issues == ["sel: empty detection (skipped)"]


def test_selection_nested_value_is_reported() -> None:
    issues: list[str] = []
    assert selection_expr("sel", {"a": {"b": "c"}}, issues) is None
    assert "unsupported value" in issues[0]


def test_selection_leaf_for_single_value() -> None:
    assert isinstance(selection_expr("sel", {"a": "b"}, []), Leaf)
