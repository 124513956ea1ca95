"""A draft rule for `detgraph check`: which vendor's format it is, and its rules parsed exactly as a load would.

`read_draft` decides the format from the file name and content — `.toml` is Elastic; YAML with a
`detection` (or `correlation`) is Sigma, with a `search` a Splunk ESCU detection — or from `language`
for bare query text (KQL, EQL, ES|QL, Lucene, SPL become a minimal Elastic or Splunk rule; `sigma` text is
a Sigma YAML). Anything else is a `BadDraft` (exit 2). `parse_draft` writes the draft to a temporary
folder and hands it to the vendor loader's `parse_file` — the same code path as `detgraph load`; a
vendor's parsers (pySigma, eql, lark) are imported only when a draft of that vendor is parsed.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import yaml

from graph_schema.errors import BadDraft
from loader.model import ParsedFile, Rule
from loader.walk import yaml_reason

__all__ = ["LANGUAGES", "Draft", "read_draft", "parse_draft"]

LANGUAGES: dict[str, tuple[str, str | None]] = {
    "sigma": ("sigma", None), "kql": ("elastic", "kuery"), "lucene": ("elastic", "lucene"),
    "eql": ("elastic", "eql"), "esql": ("elastic", "esql"), "spl": ("splunk", None),
}
"""`--language` -> (vendor, the Elastic rule language) for bare query text."""
_ELASTIC_TYPES = {"kuery": "query", "lucene": "query", "eql": "eql", "esql": "esql"}
DRAFT_ID = "draft"


@dataclass(frozen=True, slots=True)
class Draft:
    """One draft: its name (file path as given), text, vendor, and the language of bare query text."""

    name: str
    text: str
    vendor: str
    language: str | None = None  # set for bare query text (`--language`)

    def file_text(self) -> str:
        """What the vendor loader reads: the file itself, or a minimal rule around bare query text."""
        if self.language is None or self.language == "sigma":
            return self.text
        title = PurePath(self.name).stem or DRAFT_ID
        if self.vendor == "splunk":
            return yaml.safe_dump({"id": DRAFT_ID, "name": title, "search": self.text}, sort_keys=False)
        lang = LANGUAGES[self.language][1]
        assert lang is not None
        return _toml({"rule_id": DRAFT_ID, "name": title, "type": _ELASTIC_TYPES[lang], "language": lang,
                      "query": self.text})

    def file_name(self) -> str:
        """The file name the loader reads it under (bare text gets its vendor's extension)."""
        base = PurePath(self.name).name or DRAFT_ID
        if self.language is None:
            return base
        suffix = ".toml" if self.vendor == "elastic" else ".yml"
        return base if base.endswith(suffix) else f"{PurePath(base).stem or DRAFT_ID}{suffix}"


def _toml(rule: dict[str, str]) -> str:
    """A `[rule]` table with string values (TOML basic strings are JSON strings)."""
    import json

    return "[rule]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in rule.items())


def _yaml_documents(text: str, name: str) -> list[Any]:
    try:
        return [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]
    except yaml.YAMLError as exc:
        raise BadDraft(f"{name}: not a rule: {yaml_reason(exc, text.encode())}") from None
    except RecursionError:
        raise BadDraft(f"{name}: not a rule: YAML nested too deeply to read") from None


def _check_toml(text: str, name: str) -> None:
    import tomli

    try:
        doc = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise BadDraft(f"{name}: not a rule: invalid TOML: {exc}") from None
    if not isinstance(doc.get("rule"), dict):
        raise BadDraft(f"{name}: not an Elastic rule: the TOML has no [rule] table")


def read_draft(text: str, name: str, language: str | None = None) -> Draft:
    """Decide a draft's vendor from `language`, else from its name and content; `BadDraft` when it is none."""
    if not text.strip():
        raise BadDraft(f"{name}: empty draft: nothing to check")
    if "\x00" in text:
        raise BadDraft(f"{name}: not a rule: the file holds binary data")
    if language is not None:
        if language not in LANGUAGES:
            raise BadDraft(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
        vendor = LANGUAGES[language][0]
        if language == "sigma":
            _sigma_or_raise(_yaml_documents(text, name), name)
        return Draft(name, text, vendor, language)
    suffix = PurePath(name).suffix.lower()
    if suffix == ".toml" or (suffix not in (".yml", ".yaml") and text.lstrip().startswith("[")):
        _check_toml(text, name)
        return Draft(name, text, "elastic")
    documents = _yaml_documents(text, name)
    if any(isinstance(d, dict) and ("detection" in d or "correlation" in d) for d in documents):
        return Draft(name, text, "sigma")
    if documents and isinstance(documents[0], dict) and "search" in documents[0]:
        return Draft(name, text, "splunk")
    if not any(isinstance(d, dict) for d in documents):
        raise BadDraft(f"{name}: not a rule: the YAML holds no mapping (give query text with --language)")
    raise BadDraft(f"{name}: not a rule: neither a Sigma rule (no `detection`) nor a Splunk ESCU detection "
                   f"(no `search`); for bare query text pass --language")


def _sigma_or_raise(documents: list[Any], name: str) -> None:
    if not any(isinstance(d, dict) and ("detection" in d or "correlation" in d) for d in documents):
        raise BadDraft(f"{name}: not a Sigma rule: no `detection` mapping")


def _loader(vendor: str, root: Path, splunk_root: Path | None) -> Any:
    from loader.vendors import loader_class

    return loader_class(vendor)(splunk_root if vendor == "splunk" and splunk_root is not None else root)


def parse_draft(draft: Draft, splunk_root: Path | None = None) -> list[Rule]:
    """The draft's rules as its vendor's loader parses them (a Splunk draft expands the macros of the
    corpus at `splunk_root`); `BadDraft` with the loader's reason when it yields no rule."""
    with tempfile.TemporaryDirectory(prefix="detgraph-check-") as folder:
        path = Path(folder) / draft.file_name()
        path.write_text(draft.file_text(), encoding="utf-8")
        parsed: ParsedFile = _loader(draft.vendor, Path(folder), splunk_root).parse_file(path)
    for rule in parsed.rules:
        rule.path = draft.name
    if not parsed.rules:
        reason = "; ".join(f.reason for f in parsed.failures) or "no rule in the file"
        raise BadDraft(f"{draft.name}: the {draft.vendor} loader found no rule: {reason}")
    return parsed.rules
