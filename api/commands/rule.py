"""`detgraph rule show`: one rule as loaded."""
from __future__ import annotations

import json
from typing import Any

import click

from api.clikit import DetgraphGroup, settings_of

__all__ = ["rule"]


@click.group(cls=DetgraphGroup)
def rule() -> None:
    """Look at rules as loaded.

    \b
    Example:
      detgraph rule show a1b0e4c1-3a0b-4c52-9c8d-0d1f0bdb0a11
    """


MAX_ID = 1000


def checked_rule_id(value: str) -> str:
    """A rule id as given, or a `ConfigError` for text that can be no rule id (empty, control characters, huge)."""
    from graph_schema.errors import ConfigError

    text = value.strip()
    if not text:
        raise ConfigError("empty rule id: give RULE_ID or vendor:RULE_ID")
    if len(text) > MAX_ID:
        raise ConfigError(f"a rule id of {len(text):,} characters is no rule id (at most {MAX_ID})")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ConfigError(f"rule id {text[:60]!r} contains control characters")
    return text


def _predicate_line(p: dict[str, Any]) -> str:
    flags = [f for f, on in (("NOT", p["negated"]), ("EXCLUSION", p["exclusion"])) if on]
    extra = [f"modifiers={'|'.join(p['modifiers'])}"] if p["modifiers"] else []
    extra += [f"macro={p['macro']}"] if p.get("macro") else []
    extra += [f"scope={p['scope']}"] if p.get("scope") not in (None, "filter") else []
    extra += [f"reach={p['corpus_reach']}"]
    value = p["raw_value"] if p.get("raw_value") is not None else p["value"]
    c = p["canonical"]
    qualifiers = f" [{'+'.join(c['qualifiers'])}]" if c["qualifiers"] else ""
    return (f"  [{p['idx']:>3}] {' '.join(flags):<13} {p['field'] or '(keyword)'} {p['operator']} {value!r}"
            f"  ({p.get('group') or '-'}; {', '.join(extra)})\n"
            f"        = {c['field'] or '(keyword)'} {c['operator']} {c['value']!r}{qualifiers}"
            + ("  (unmapped field)" if c["field_kind"] == "unmapped" else ""))


def _text(r: dict[str, Any]) -> str:
    lines = [f"{r['title']}  [{r['uid']}]",
             f"  {r['vendor']} {r['rule_type'] or ''} {r['language'] or ''}  status={r['status']}  "
             f"severity={r['severity']}{'  DEPRECATED' if r['deprecated'] else ''}",
             f"  path: {r['path']}  commit: {r['provenance']['commit'] or '-'}"
             f"  hash: {r['provenance']['content_hash']}",
             "  techniques: " + (", ".join(f"{t['id']} {t['name']}" + (f" (tagged {','.join(t['tagged_as'])})"
                                  if t["tagged_as"] != [t["id"]] else "") for t in r["techniques"]) or "-"),
             "  tactics: " + (", ".join(r["tactics"]) or "-"),
             "  events: " + (", ".join(f"{e['key']} {e['title']}" for e in r["events"]) or "-"),
             "  telemetry: " + ", ".join(f"{k}={v}" for k, v in r["telemetry"].items() if v)]
    if r["partial"]:
        lines.append("  PARTIAL: " + "; ".join(r["issues"]))
    if r["no_predicates_reason"]:
        lines.append(f"  no predicates: {r['no_predicates_reason']}")
    lines.append(f"  predicates ({len(r['predicates'])}):")
    lines.extend(_predicate_line(p) for p in r["predicates"])
    return "\n".join(lines)


@rule.command("show")
@click.argument("rule_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def rule_show(ctx: click.Context, rule_id: str, fmt: str) -> None:
    """Print one rule: properties, techniques, events and every predicate (RULE_ID or vendor:RULE_ID).

    \b
    Example:
      detgraph rule show sigma:6b4d3a0c-... --format json
    """
    from graph_schema.db import open_driver
    from queries.rule_detail import rule_detail

    rule_id = checked_rule_id(rule_id)
    s = settings_of(ctx)
    with open_driver(s) as driver:
        detail = rule_detail(driver, rule_id, s.neo4j_database)
    click.echo(json.dumps(detail, indent=2, ensure_ascii=False) if fmt == "json" else _text(detail))
