"""Sigma rule metadata (everything but the detection logic) -> the shared `Rule`; ATT&CK tags -> refs.

Values are taken from the raw YAML dict as written; pySigma's rule model validates them
(`validation_issues`), and what it rejects becomes a rule issue instead of an exception.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from sigma.exceptions import SigmaError

from loader.model import Rule, TechniqueRef
from loader.sigma.detection import value_text

__all__ = ["base_rule", "attack_refs", "validation_issues", "text", "text_list"]

_TECHNIQUE = re.compile(r"attack\.t(\d{4}(?:\.\d{3})?)", re.IGNORECASE)
_OTHER_ID = re.compile(r"attack\.[a-z]{1,2}\d{4}", re.IGNORECASE)  # groups, software, tactic ids: tags only
_TACTIC = re.compile(r"attack\.([a-z][a-z_-]*)", re.IGNORECASE)


def base_rule(data: dict[str, Any], path: str, rule_id: str) -> Rule:
    """A `Rule` with the metadata every Sigma document carries (no logic, no telemetry)."""
    tags = text_list(data.get("tags"))
    techniques, tactics = attack_refs(tags)
    status = text(data.get("status"))
    rule = Rule(
        vendor="sigma",
        rule_id=rule_id,
        title=text(data.get("title")) or "",
        path=path,
        description=text(data.get("description")) or "",
        status=status,
        deprecated=status == "deprecated" or path.startswith("deprecated/"),
        severity=text(data.get("level")),
        language="sigma",
        author=text(data.get("author")),
        created=text(data.get("date")),
        modified=text(data.get("modified")),
        references=text_list(data.get("references")),
        false_positives=text_list(data.get("falsepositives")),
        tags=tags,
        techniques=techniques,
        tactics=tactics,
    )
    if data.get("name") is not None:
        rule.properties["name"] = text(data["name"])
    related = data.get("related")
    if isinstance(related, list):
        rule.properties["related"] = [
            f"{r.get('type')}:{r.get('id')}" for r in related if isinstance(r, dict) and r.get("id")
        ]
    return rule


def attack_refs(tags: Iterable[str]) -> tuple[list[TechniqueRef], list[str]]:
    """`attack.t1059.001` -> TechniqueRef('T1059.001'); `attack.defense_evasion` -> tactic 'defense-evasion'.

    When the tags name exactly one tactic, every technique carries it.
    """
    technique_ids: list[str] = []
    tactics: list[str] = []
    for tag in tags:
        if match := _TECHNIQUE.fullmatch(tag):
            technique_ids.append("T" + match.group(1))
        elif not _OTHER_ID.fullmatch(tag) and (match := _TACTIC.fullmatch(tag)):
            tactics.append(match.group(1).lower().replace("_", "-"))
    tactics = list(dict.fromkeys(tactics))
    tactic = tactics[0] if len(tactics) == 1 else None
    return [TechniqueRef(t, tactic) for t in dict.fromkeys(technique_ids)], tactics


def validation_issues(check: Callable[[], Iterable[Exception]]) -> list[str]:
    """Run a pySigma validation; the errors it collects (or the one it raised) as issue strings."""
    try:
        return [str(error) for error in check()]
    except (SigmaError, ValueError, TypeError, AttributeError, KeyError) as error:
        return [f"invalid rule: {error}"]


def text(value: Any) -> str | None:
    """A metadata scalar as text (dates ISO, lists joined with ', '); None stays None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value)
    return value_text(value)


def text_list(value: Any) -> list[str]:
    """A metadata list as a list of text (a lone scalar becomes a one-item list)."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [t for v in values if (t := text(v)) is not None]
