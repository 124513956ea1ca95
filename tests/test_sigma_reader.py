"""Sigma YAML reading: multi-document actions, duplicate keys, invalid files."""
from __future__ import annotations

from pathlib import Path

import pytest

from graph_schema.errors import RuleParseError
from loader.sigma.detection import value_text
from loader.sigma.reader import WrittenFloat, deep_merge, load_yaml, merge_documents, read_file


def test_merge_documents_global_template_applies_to_each_rule() -> None:
    merged = merge_documents(
        [
            {"action": "global", "title": "T", "detection": {"condition": "selection"}},
            {"id": "1", "detection": {"selection": {"a": 1}}},
            {"id": "2", "detection": {"selection": {"b": 2}}},
        ]
    )
    assert [d.index for d in merged.documents] == [2, 3]
    assert merged.documents[0].data == {
        "title": "T",
        "id": "1",
        "detection": {"condition": "selection", "selection": {"a": 1}},
    }
    assert merged.documents[1].data["detection"] == {"condition": "selection", "selection": {"b": 2}}


def test_merge_documents_document_wins_over_template() -> None:
    merged = merge_documents([{"action": "global", "level": "low"}, {"level": "high"}])
    assert merged.documents[0].data["level"] == "high"


def test_merge_documents_repeat_amends_previous_rule() -> None:
    merged = merge_documents(
        [{"id": "1", "logsource": {"product": "linux"}, "detection": {"s": {"a": 1}}},
         {"action": "repeat", "id": "2", "detection": {"s": {"a": 2}}}]
    )
    second = merged.documents[1].data
    assert second == {"id": "2", "logsource": {"product": "linux"}, "detection": {"s": {"a": 2}}}
    assert merged.documents[0].data["detection"] == {"s": {"a": 1}}  # the first rule is not mutated


def test_merge_documents_reset_drops_template() -> None:
    merged = merge_documents([{"action": "global", "level": "low"}, {"action": "reset"}, {"id": "1"}])
    assert merged.documents[0].data == {"id": "1"}


def test_merge_documents_correlation_is_not_merged_with_template() -> None:
    template = {"action": "global", "logsource": {"product": "x"}}
    merged = merge_documents([template, {"correlation": {"type": "temporal"}}])
    assert "logsource" not in merged.documents[0].data


def test_merge_documents_rejects_non_rules_with_reason() -> None:
    merged = merge_documents(["text", {"action": "explode"}, {"action": "repeat"}, {"filter": {}}, None])
    assert merged.documents == []
    assert merged.rejected == [
        "document 1 is a str, not a mapping",
        "document 2: action 'explode' is unknown",
        "document 3: action 'repeat' without a rule before it",
        "document 4 is a Sigma filter, not a rule",
    ]


def test_deep_merge_is_recursive_and_pure() -> None:
    base = {"a": {"b": 1, "c": 2}}
    assert deep_merge(base, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}
    assert base == {"a": {"b": 1, "c": 2}}


def test_load_yaml_reports_duplicate_keys() -> None:
    documents, duplicates = load_yaml(b"a: 1\nb:\n  c: 1\n  c: 2\n")
    assert documents == [{"a": 1, "b": {"c": 2}}]
    assert duplicates == ["duplicate key 'c' at line 4 (the last value is used)"]


def test_load_yaml_multiple_documents() -> None:
    documents, _ = load_yaml(b"a: 1\n---\nb: 2\n---\n")
    assert documents == [{"a": 1}, {"b": 2}, None]


def test_read_file_invalid_yaml_raises_parse_error_naming_file(fixtures: Path) -> None:
    with pytest.raises(RuleParseError) as caught:
        read_file(fixtures / "sigma/rules/broken/invalid_yaml.yml", "rules/broken/invalid_yaml.yml")
    assert str(caught.value).startswith("rules/broken/invalid_yaml.yml:6: invalid YAML")


def test_read_file_missing_file_raises_parse_error(tmp_path: Path) -> None:
    with pytest.raises(RuleParseError, match="cannot read file"):
        read_file(tmp_path / "absent.yml")


def test_read_file_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    (tmp_path / "bomb.yml").write_text("\n".join(lines) + "\n")
    with pytest.raises(RuleParseError, match="too many nodes"):
        read_file(tmp_path / "bomb.yml", "bomb.yml")


def test_read_file_small_anchor_is_fine(tmp_path: Path) -> None:
    (tmp_path / "anchor.yml").write_text("a: &names [x, y]\nb: *names\n")
    assert read_file(tmp_path / "anchor.yml").documents[0].data == {"a": ["x", "y"], "b": ["x", "y"]}


def test_load_yaml_floats_remember_their_text() -> None:
    (document,), _ = load_yaml(b"a: 1.0\nb: 1.10\nc: 4688\nd: '1.0'\n")
    assert document == {"a": 1.0, "b": 1.1, "c": 4688, "d": "1.0"}
    assert [value_text(document[k]) for k in "abcd"] == ["1.0", "1.10", "4688", "1.0"]
    assert isinstance(document["a"], WrittenFloat) and document["a"] + 1 == 2.0
