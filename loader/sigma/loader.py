"""`SigmaLoader`: the SigmaHQ corpus folders -> `ParsedFile`s, one `Rule` per rule document."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from graph_schema.errors import RuleParseError
from loader.base import VendorLoader, relative_path
from loader.model import LoadFailure, ParsedFile
from loader.sigma.correlation import correlation_rule
from loader.sigma.metadata import text
from loader.sigma.reader import SigmaDocument, read_file
from loader.sigma.rule import detection_rule

__all__ = ["SigmaLoader", "RULE_FOLDERS"]

RULE_FOLDERS = (
    "rules",
    "rules-emerging-threats",
    "rules-threat-hunting",
    "rules-compliance",
    "rules-placeholder",
    "deprecated",
)
"""The folders of a SigmaHQ checkout that hold rules (tests/, other/ ... are ignored)."""

EXPECTED_FIELDS = ("id",)
"""Fields a rule must carry beyond what pySigma checks (title, logsource, detection, and every type):
the `id` is the rule's identity across loads (without it, its name or path stands in)."""


class SigmaLoader(VendorLoader):
    """Reads a SigmaHQ checkout (or a copy of its rule folders) rooted at `root`."""

    vendor: ClassVar[str] = "sigma"
    rule_dirs: ClassVar[tuple[str, ...]] = RULE_FOLDERS

    def parse_file(self, path: Path) -> ParsedFile:
        """One `Rule` per rule document of `path`; unreadable files and non-rule documents as failures."""
        path = Path(path)
        rel = relative_path(path, self.root)
        out = ParsedFile()
        try:
            sigma_file = read_file(path, rel)
        except RuleParseError as error:
            out.failures.append(LoadFailure(rel, error.message))  # the report names the file already
            return out
        out.failures.extend(LoadFailure(rel, reason) for reason in sigma_file.rejected)
        seen: set[str] = set()
        for document in sigma_file.documents:
            rule_id = _rule_id(document, rel, seen)
            build = correlation_rule if "correlation" in document.data else detection_rule
            try:
                rule = build(document.data, rel, rule_id)
            except RecursionError:
                out.failures.append(LoadFailure(rel, "content nested too deeply to read", rule_id))
                continue
            except Exception as error:  # a loader bug must not stop the whole load: report the rule
                out.failures.append(LoadFailure(rel, f"unexpected {type(error).__name__}: {error}", rule_id))
                continue
            rule.issues.extend(f"missing field '{key}'" for key in EXPECTED_FIELDS
                               if document.data.get(key) in (None, ""))
            rule.issues.extend(sigma_file.warnings)
            out.rules.append(rule)
        if not out.rules and not out.failures:
            out.failures.append(LoadFailure(rel, "no Sigma rule in file"))
        return out


def _rule_id(document: SigmaDocument, rel: str, seen: set[str]) -> str:
    """The rule's `id` (else `name`, else its path); `#<document>` is added when the file already used it."""
    base = text(document.data.get("id")) or text(document.data.get("name")) or rel
    rule_id = base if base not in seen else f"{base}#{document.index}"
    seen.add(rule_id)
    return rule_id
