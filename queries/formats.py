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


def cell_text(value: Any, width: int | None = None) -> str:
    """One value as a table cell: scalars as is, lists joined with ', ', maps as `k=v`; cut to `width`."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:.3g}"
    elif isinstance(value, list):
        text = ", ".join(cell_text(v) for v in value)
    elif isinstance(value, dict):
        text = " ".join(f"{k}={cell_text(v)}" for k, v in value.items())
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
    return list(rows[0].keys()) if rows else default


def _footer(result: Result) -> str:
    return f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''} in {result.seconds * 1000:.0f} ms"


def render_table(result: Result) -> str:
    """A readable table (sections for a one-row result of lists), with the row count and the time taken."""
    sections = sections_of(result)
    if sections is None:
        text = _table(result.columns, result.rows) if result.rows else "(no rows)"
        return f"{text}\n{_footer(result)}"
    parts = [f"== {name} ({len(rows)})\n{_table(_columns(rows, []), rows)}" for name, rows in sections]
    return "\n\n".join(parts) + f"\n{_footer(result)}"


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
