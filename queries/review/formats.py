"""`detgraph check` output: a table for people, JSON (the API's body), Markdown, and SARIF 2.1.0 for code scanning.

SARIF: one run of the tool `detgraph`, one reporting rule per finding kind (`ruleId` = the kind), a
result per finding with its `level` (error, warning, note), `message.text` (the reason), the draft file
as `physicalLocation.artifactLocation.uri` and, where known, `region.startLine`; the evidence is in
the result's `properties`.
"""
from __future__ import annotations

import json
from typing import Any

from queries.review.findings import KINDS, SEVERITIES
from queries.review.report import Review

__all__ = ["CHECK_FORMATS", "render_review", "sarif"]

CHECK_FORMATS = ("table", "json", "md", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
TOOL_URI = "https://github.com/detgraph/detgraph"


def _ordered(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Worst first, then in check order."""
    return sorted(findings, key=lambda f: -SEVERITIES.index(f["severity"]))


def _summary(data: dict[str, Any]) -> str:
    s = data["summary"]
    return f"{s['rules']} rule(s) in {s['drafts']} draft(s): {s['error']} error(s), {s['warning']} warning(s), " \
           f"{s['info']} info"


def _table(data: dict[str, Any]) -> str:
    lines = []
    for d in data["drafts"]:
        rob = d["robustness"]
        lines.append(f"{d['file']}  {d['vendor']} {d['language'] or ''}  \"{d['title']}\"  robustness {rob['label']}")
        for f in _ordered(d["findings"]):
            where = f"  (line {f['line']})" if f["line"] else ""
            lines.append(f"  {f['severity'].upper():<8} {f['kind']:<21} {f['reason']}{where}")
        lines.append("")
    lines.append(_summary(data))
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(data: dict[str, Any]) -> str:
    lines = []
    for d in data["drafts"]:
        lines += [f"## {_md_cell(d['title'])}", "",
                  f"`{d['file']}` — {d['vendor']} {d['language'] or ''}, robustness **{d['robustness']['label']}**", "",
                  "| severity | finding | reason | line |", "|---|---|---|---:|"]
        lines += [f"| {f['severity']} | {f['kind']} | {_md_cell(f['reason'])} | {f['line'] or ''} |"
                  for f in _ordered(d["findings"])]
        lines.append("")
    lines.append(f"_{_summary(data)}_")
    return "\n".join(lines)


def sarif(data: dict[str, Any]) -> dict[str, Any]:
    """The review as a SARIF 2.1.0 log."""
    kinds = list(KINDS)
    results = []
    for d in data["drafts"]:
        for f in d["findings"]:
            location: dict[str, Any] = {"artifactLocation": {"uri": d["file"]}}
            if f["line"]:
                location["region"] = {"startLine": f["line"]}
            results.append({
                "ruleId": f["kind"], "ruleIndex": kinds.index(f["kind"]), "level": SARIF_LEVELS[f["severity"]],
                "message": {"text": f["reason"]}, "locations": [{"physicalLocation": location}],
                "properties": {"rule_id": d["rule_id"], "vendor": d["vendor"], "evidence": f["evidence"]},
            })
    rules = [{"id": k, "name": "".join(w.capitalize() for w in k.split("-")), "shortDescription": {"text": text},
              "defaultConfiguration": {"level": "warning"}} for k, text in KINDS.items()]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "detgraph", "informationUri": TOOL_URI, "rules": rules}},
                      "results": results,
                      "properties": {"graph": data["graph"], "summary": data["summary"]}}]}


def render_review(review: Review, fmt: str) -> str:
    """The review in one of `CHECK_FORMATS`."""
    if fmt == "json":
        return review.to_json()
    data = review.to_dict()
    if fmt == "sarif":
        return json.dumps(sarif(data), indent=2, ensure_ascii=False, default=str)
    if fmt == "md":
        return _markdown(data)
    return _table(data)
