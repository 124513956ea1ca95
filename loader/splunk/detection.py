"""One ESCU detection YAML (`detections/**/*.yml`) -> `Rule`, its SPL parsed by `spl.parse_spl`."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from loader.base import relative_path
from loader.expect import Field, check_fields
from loader.model import LoadFailure, ParsedFile, Rule, TechniqueRef
from loader.splunk.macros import MacroLibrary
from loader.splunk.spl import parse_spl
from loader.walk import read_regular, unreadable, yaml_reason

__all__ = ["parse_detection"]

_TECHNIQUE = re.compile(r"T\d{4}(?:\.\d{3})?")
# Tags with a home of their own on the rule; every other primitive tag is kept in `properties`.
_TAGS_ELSEWHERE = frozenset({"mitre_attack_id", "cve", "analytic_story", "observable"})
# The fields read here: required ones are those every detection of splunk/security_content carries
_FIELDS = {
    "name": Field("text", True), "date": Field("text", True), "author": Field("text", True),
    "type": Field("text", True), "status": Field("text", True), "description": Field("text", True),
    "search": Field("text", True), "how_to_implement": Field("text", True),
    "known_false_positives": Field("texts", True), "references": Field("texts", True),
    "tags": Field("mapping", True), "data_source": Field("texts"), "data_sources": Field("texts"),
}  # fmt: skip
_TAG_FIELDS = {"analytic_story": Field("texts", True), "mitre_attack_id": Field("texts"), "cve": Field("texts"),
               "severity": Field("text")}


def _text(value: Any) -> str | None:
    return str(value).strip() if value is not None and str(value).strip() else None


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [str(v).strip() for v in items if v is not None and not isinstance(v, dict | list) and str(v).strip()]


def _primitive(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, str | int | float | bool) for v in value)
    return isinstance(value, str | int | float | bool)


def _load(path: Path) -> dict[str, Any] | str:
    """The YAML mapping of `path`, or why there is none."""
    raw = b""
    try:
        raw = read_regular(path)
        data = yaml.load(raw, Loader=yaml.CSafeLoader)
    except OSError as exc:
        return unreadable(exc)
    except yaml.YAMLError as exc:
        return yaml_reason(exc, raw)
    except RecursionError:
        return "YAML nested too deeply to read"
    return data if isinstance(data, dict) else "not a detection (the YAML is no mapping)"


def parse_detection(path: Path, root: Path, macros: MacroLibrary) -> ParsedFile:
    """The rule in one detection file; a `LoadFailure` when the file holds no usable detection."""
    rel = relative_path(path, root)
    data = _load(path)
    if isinstance(data, str):
        return ParsedFile(failures=[LoadFailure(rel, data)])
    rule_id = _text(data.get("id"))
    if rule_id is None:
        return ParsedFile(failures=[LoadFailure(rel, "detection has no id", None)])
    issues = check_fields(data, _FIELDS)
    tags = data.get("tags") if isinstance(data.get("tags"), dict) else {}
    if "tags" in data and isinstance(data.get("tags"), dict):
        issues += check_fields(tags, _TAG_FIELDS, "tags.")
    status = _text(data.get("status"))
    techniques = []
    for technique in _strings(tags.get("mitre_attack_id")):
        if _TECHNIQUE.fullmatch(technique):
            techniques.append(TechniqueRef(technique))
        else:
            issues.append(f"not an ATT&CK technique id: {technique!r}")
    properties: dict[str, Any] = {k: v for k, v in tags.items() if k not in _TAGS_ELSEWHERE and _primitive(v)}
    properties["analytic_stories"] = _strings(tags.get("analytic_story"))
    for key in ("version", "how_to_implement", "datamodel"):
        if data.get(key) is not None and _primitive(data[key]):
            properties[key] = data[key]
    rule = Rule(
        vendor="splunk",
        rule_id=rule_id,
        title=_text(data.get("name")) or path.stem,
        path=rel,
        description=_text(data.get("description")) or "",
        status=status,
        deprecated=status == "deprecated" or rel.startswith("detections/deprecated/"),
        severity=_text(tags.get("severity")),
        rule_type=_text(data.get("type")),
        language="spl",
        query=data.get("search") if isinstance(data.get("search"), str) else None,
        author=_text(data.get("author")),
        modified=_text(data.get("date")),
        references=_strings(data.get("references")),
        false_positives=_strings(data.get("known_false_positives")),
        tags=[*_strings(tags.get("mitre_attack_id")), *_strings(tags.get("cve"))],
        techniques=techniques,
        issues=issues,
        properties=properties,
    )
    rule.telemetry.data_sources = _strings(data.get("data_source") or data.get("data_sources"))
    _add_query(rule, macros)
    return ParsedFile(rules=[rule])


def _add_query(rule: Rule, macros: MacroLibrary) -> None:
    """Predicates, logic and data models from the rule's SPL."""
    if not rule.query or not rule.query.strip():
        rule.no_predicates_reason = "detection has no search"
        return
    result = parse_spl(rule.query, macros)
    rule.predicates = result.predicates
    rule.logic = result.logic
    rule.issues.extend(result.issues)
    rule.telemetry.datamodels = result.sources
    if not rule.predicates:
        rule.no_predicates_reason = (
            f"SPL not parsed: {result.issues[0]}" if result.issues else "SPL has no filter (no field or term test)"
        )
