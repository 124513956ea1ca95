"""A query result as text: a readable table, JSON, CSV or Markdown (the CLI and the API's CSV download).

A one-row result whose columns are lists of records (the technique guide: events, fields, indicators...)
is shown section by section, each as a table of its own.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from queries.catalog import Result

__all__ = ["RENDERERS", "render", "cell_text", "sections_of"]

_CELL_WIDTH = 60
_CAPTION_KEYS = ("title", "name", "id", "key", "value")
_FIRST = ("uid", "id", "key", "event", "vendor", "title", "name", "field", "kind", "operator", "value", "qualifiers",
          "rules", "here", "techniques", "reach", "reach_sigma", "reach_elastic", "reach_splunk", "vendors")
"""Columns of nested records, in the order a person reads them (the rest follow alphabetically)."""


def _caption(node: dict[str, Any]) -> str:
    label = node.get("_labels", ["?"])[0] if node.get("_labels") else "?"
    name = next((str(node[k]) for k in _CAPTION_KEYS if node.get(k) is not None), "")
    return f"({label} {name[:40]})"


def _path_text(path: dict[str, Any]) -> str:
    """`(Technique T1609)<-[DETECTS]-(Rule ...)`: a path as a person reads it."""
    nodes = {n["_id"]: n for n in path["nodes"]}
    out = _caption(path["nodes"][0]) if path["nodes"] else ""
    current = path["nodes"][0]["_id"] if path["nodes"] else None
    for rel in path["relationships"]:
        forward = rel["_start"] == current
        nxt = rel["_end"] if forward else rel["_start"]
        out += (f"-[{rel['_type']}]->" if forward else f"<-[{rel['_type']}]-") + _caption(nodes[nxt])
        current = nxt
    return out


def cell_text(value: Any, width: int | None = None) -> str:
    """One value as a table cell: scalars as is, lists joined with ', ', maps as `k=v`, graph paths drawn as
    text; cut to `width`."""
    if isinstance(value, dict) and "nodes" in value and "relationships" in value:
        value = _path_text(value)
    elif isinstance(value, dict) and "_labels" in value:
        value = _caption(value)
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:.3g}"
    elif isinstance(value, list):
        text = ", ".join(cell_text(v) for v in value)
    elif isinstance(value, dict) and len(value) == 2 and {type(v) for v in value.values()} in ({str, int}, {int, str}):
        text = " ".join(str(v) for v in sorted(value.values(), key=lambda v: isinstance(v, int)))  # `eq 60`
    elif isinstance(value, dict):
        text = " ".join(f"{k}={cell_text(v)}" for k, v in sorted(value.items()))
    else:
        text = str(value)
    text = " ".join(text.split())
    if width is not None and len(text) > width:
        return text[: width - 1] + "…"
    return text


def sections_of(result: Result) -> list[tuple[str, list[dict[str, Any]]]] | None:
    """(column, rows) for a one-row result whose columns are lists of records; None for a plain table."""
    if len(result.rows) != 1:
        return None
    row = result.rows[0]
    lists = {k: v for k, v in row.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)}
    if len(lists) < 2:
        return None
    scalars = [{k: v for k, v in row.items() if k not in lists and not isinstance(v, list)}]
    out = [("summary", scalars)] if scalars[0] else []
    return out + [(k, row[k]) for k in row if k in lists]


def _table(columns: list[str], rows: list[dict[str, Any]]) -> str:
    cells = [[cell_text(r.get(c), _CELL_WIDTH) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join([line.rstrip(), rule, *body])


def _columns(rows: list[dict[str, Any]], default: list[str]) -> list[str]:
    """The keys of nested records (whose order Neo4j does not keep), in reading order."""
    if not rows:
        return default
    keys = list(dict.fromkeys(k for r in rows for k in r))
    rank = {k: i for i, k in enumerate(_FIRST)}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))


def _footer(result: Result) -> str:
    return f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''} in {result.seconds * 1000:.0f} ms"


def render_table(result: Result) -> str:
    """A readable table (sections for a one-row result of lists), with the row count and the time taken."""
    sections = sections_of(result)
    if sections is None:
        text = _table(result.columns, result.rows) if result.rows else "(no rows)"
        return f"{text}\n{_footer(result)}"
    parts = [f"== {name} ({len(rows)})\n{_table(_columns(rows, []), rows)}" for name, rows in sections
             if name != "summary"]
    if sections[0][0] == "summary":
        parts.insert(0, "\n".join(_summary_lines(sections[0][1][0])))
    return "\n\n".join(parts) + f"\n{_footer(result)}"


def _summary_lines(row: dict[str, Any]) -> list[str]:
    """A one-row summary as `key: value` lines (a map value spread over its own keys)."""
    lines = []
    for key, value in row.items():
        if isinstance(value, dict) and "_labels" not in value:
            lines.extend(f"{key}.{k}: {cell_text(v, 100)}" for k, v in sorted(value.items()))
        else:
            lines.append(f"{key}: {cell_text(value, 100)}")
    return lines


def render_markdown(result: Result) -> str:
    """GitHub-flavoured Markdown table(s)."""
    def table(columns: list[str], rows: list[dict[str, Any]]) -> str:
        def esc(v: Any) -> str:
            return cell_text(v).replace("|", "\\|")
        head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns)
        return head + "".join("\n| " + " | ".join(esc(r.get(c)) for c in columns) + " |" for r in rows)
    sections = sections_of(result)
    if sections is None:
        return table(result.columns, result.rows)
    return "\n\n".join(f"### {name}\n\n{table(_columns(rows, []), rows)}" for name, rows in sections)


def render_csv(result: Result) -> str:
    """CSV: one line per row; nested values as JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_csv_cell(row.get(c)) for c in result.columns])
    return out.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def render_json(result: Result) -> str:
    """`{query, params, columns, rows, count, ms}` as indented JSON."""
    return json.dumps({"query": result.query.name, "params": result.params, "columns": result.columns,
                       "rows": result.rows, "count": len(result.rows), "ms": round(result.seconds * 1000, 1)},
                      indent=2, ensure_ascii=False, default=str)


RENDERERS: dict[str, Callable[[Result], str]] = {
    "table": render_table, "json": render_json, "csv": render_csv, "md": render_markdown,
}


def render(result: Result, fmt: str) -> str:
    """`result` in format `fmt` (a key of `RENDERERS`)."""
    return RENDERERS[fmt](result)
