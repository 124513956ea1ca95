"""Sigma YAML files -> rule documents: multi-document `action: global/reset/repeat` merging, duplicate keys.

YAML is read with PyYAML's CSafeLoader (never pySigma's `SigmaCollection`, ~7x slower on the corpus).
Documents merge like pySigma's collection does, except that a document's own values win over the
global template's. Correlation rules and Sigma filters are never merged with the global template.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sigma.exceptions import SigmaError
from sigma.rule.base import check_alias_expansion

from graph_schema.errors import RuleLocation, RuleParseError
from loader.walk import read_regular, unreadable, yaml_reason

__all__ = ["SigmaDocument", "SigmaFile", "WrittenFloat", "read_file", "load_yaml", "merge_documents", "deep_merge"]

_ANCHOR = re.compile(rb"(?:^|[\s\[{,:-])&[^\s,\[\]{}]")  # a YAML anchor (aliases need one)


@dataclass(slots=True)
class SigmaDocument:
    """One rule of a file after merging: its 1-based document number and content."""

    index: int
    data: dict[str, Any]


@dataclass(slots=True)
class SigmaFile:
    """The rules of one file, the documents that are no rule (with why), and file-wide warnings."""

    documents: list[SigmaDocument] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class WrittenFloat(float):
    """A YAML float that remembers how it was written (`1.0`, `1.10`), so a version number keeps its text."""

    __slots__ = ("text",)

    def __new__(cls, value: float, text: str) -> WrittenFloat:
        number = super().__new__(cls, value)
        number.text = text
        return number

    def __reduce__(self) -> tuple[type[WrittenFloat], tuple[float, str]]:
        return WrittenFloat, (float(self), self.text)


class _Loader(yaml.CSafeLoader):
    """CSafeLoader that records duplicate mapping keys instead of silently keeping the last value."""

    def __init__(self, stream: bytes) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
        if len(keys) != len(set(keys)):
            seen: set[str] = set()
            for key, _ in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                if key.value in seen:
                    line = key.start_mark.line + 1
                    self.duplicates.append(f"duplicate key '{key.value}' at line {line} (the last value is used)")
                seen.add(key.value)
        return super().construct_mapping(node, deep)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> WrittenFloat:
    return WrittenFloat(loader.construct_yaml_float(node), node.value)


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def load_yaml(data: bytes) -> tuple[list[Any], list[str]]:
    """Every YAML document of `data` and its duplicate-key warnings; raises yaml.YAMLError."""
    loader = _Loader(data)
    try:
        documents = []
        while loader.check_data():
            documents.append(loader.get_data())
        return documents, loader.duplicates
    finally:
        loader.dispose()


def read_file(path: Path, name: str | None = None) -> SigmaFile:
    """Read and merge one Sigma file; raises RuleParseError (naming `name`, default `path`) for unreadable YAML."""
    name = name or str(path)
    data = b""
    try:
        data = read_regular(path)
        documents, duplicates = load_yaml(data)
        if b"&" in data and _ANCHOR.search(data):  # shared YAML nodes: refuse alias bombs before walking them as trees
            for document in documents:
                check_alias_expansion(document)
    except SigmaError as error:
        raise RuleParseError(str(error), RuleLocation(name)) from error
    except OSError as error:
        raise RuleParseError(unreadable(error), RuleLocation(name)) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RuleParseError(yaml_reason(error, data), RuleLocation(name, line)) from error
    merged = merge_documents(documents)
    merged.warnings.extend(duplicates)
    return merged


def merge_documents(documents: list[Any]) -> SigmaFile:
    """Apply Sigma collection actions: `global` sets a template, `reset` drops it, `repeat` amends the last rule."""
    out = SigmaFile()
    template: dict[str, Any] = {}
    previous: dict[str, Any] | None = None
    for index, document in enumerate(documents, 1):
        if document is None:  # empty document, e.g. a trailing '---'
            continue
        if not isinstance(document, dict):
            out.rejected.append(f"document {index} is a {type(document).__name__}, not a mapping")
            continue
        action = document.get("action")
        if action is None:
            if "filter" in document and "detection" not in document:
                out.rejected.append(f"document {index} is a Sigma filter, not a rule")
                continue
            standalone = not template or "correlation" in document
            previous = document if standalone else deep_merge(template, document)
            out.documents.append(SigmaDocument(index, previous))
            continue
        body = {k: v for k, v in document.items() if k != "action"}
        if action == "global":
            template = previous = body
        elif action == "reset":
            template = {}
        elif action == "repeat" and previous is not None:
            previous = deep_merge(previous, body)
            out.documents.append(SigmaDocument(index, previous))
        else:
            reason = "without a rule before it" if action == "repeat" else "is unknown"
            out.rejected.append(f"document {index}: action '{action}' {reason}")
    return out


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """A new dict: `base` with `over` merged in recursively (`over` wins on conflicts)."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
