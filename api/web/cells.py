"""One way to show a value in a table cell, for every page: nested records and lists readably, vendors as
badges, and ids as links to their page (`link_for`). Python rather than a Jinja macro: a technique page has
tens of thousands of cells, and a macro call per cell cost more than the page's queries."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import g, url_for
from markupsafe import Markup, escape

from queries.catalog import FORMATS

__all__ = ["VENDORS", "cell", "link_for", "rows_html"]

VENDORS = ("sigma", "elastic", "splunk")
_VENDOR_COLUMNS = ("vendor", "vendors", "a_vendor", "b_vendor")
_NONE = Markup('<span class="none">—</span>')

_LINK_KINDS: dict[str, str] = {
    "uid": "rule", "a_uid": "rule", "b_uid": "rule", "example_peers": "rule", "example_rules": "rule",
    "correlates": "rule", "key": "indicator", "keys": "indicator", "event": "event", "events": "event",
    "events_removed": "event", "field": "field", "fields": "field", "id": "technique", "technique": "technique",
    "techniques": "technique", "technique_ids": "technique", "subtechniques": "technique",
}
"""Column name -> the page its (string) values link to, when the value has that page's id format."""


_ENDPOINTS = {"rule": ("pages.rule", "uid"), "indicator": ("pages.indicator", "key"), "event": ("pages.event", "event"),
              "field": ("pages.field", "field"), "technique": ("pages.technique", "technique")}
_MARK = "__detgraph_value__"


def _prefixes() -> dict[str, tuple[str, str]]:
    """kind -> the page URL around its id (built once per request by `url_for`, then filled by quoting)."""
    return {kind: tuple(url_for(endpoint, **{arg: _MARK}).split(_MARK, 1))  # type: ignore[misc]
            for kind, (endpoint, arg) in _ENDPOINTS.items()}


def _url(kind: str, value: str) -> str | None:
    if kind == "rule":
        if ":" not in value or not FORMATS["rule"].fullmatch(value):
            return None
    elif not FORMATS[kind].fullmatch(value):
        return None
    cache = g.get("detgraph_url_prefixes")
    if cache is None:
        cache = g.detgraph_url_prefixes = _prefixes()
    head, tail = cache[kind]
    return f"{head}{quote(value, safe=_SAFE[kind])}{tail}"


_SAFE = {"rule": "/:", "indicator": "", "event": ":/", "field": "/", "technique": ""}
"""What stays unquoted in each id (the `path` segments keep their slashes, as `url_for` does)."""


def link_for(column: str, value: Any, row: dict[str, Any] | None = None) -> str | None:
    """The page a table cell links to: by its column (`uid` -> rule, `key` -> indicator, `field`, `event`,
    technique ids), a `title` to its row's rule, a `value` to its row's indicator; None for plain text."""
    if not isinstance(value, str):
        return None
    column = column.removesuffix("[]")
    if column == "url":
        return value if value.startswith(("https://", "http://")) else None
    if row is not None and column == "title" and isinstance(row.get("uid"), str):
        return _url("rule", row["uid"])
    if row is not None and column == "value" and isinstance(row.get("key"), str):
        return _url("indicator", row["key"])
    kind = _LINK_KINDS.get(column)
    if column in ("key", "keys"):  # an indicator key, else an event key
        return _url("indicator", value) or _url("event", value)
    return _url(kind, value) if kind else None


def _render(value: Any, column: str, row: dict[str, Any] | None) -> str:
    if value is None:
        return _NONE
    if isinstance(value, dict):
        items = "".join(f"<dt>{escape(k)}</dt><dd>{_render(v, k, value)}</dd>" for k, v in value.items())
        return f'<dl class="nested">{items}</dl>'
    if isinstance(value, list | tuple):
        if not value:
            return _NONE
        inline = "" if any(isinstance(v, dict) for v in value) else " inline"
        items = "".join(f"<li>{_render(v, column + '[]', None)}</li>" for v in value)
        return f'<ul class="nested{inline}">{items}</ul>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}"
    if column.removesuffix("[]") in _VENDOR_COLUMNS and value in VENDORS:
        return f'<span class="vendor vendor-{value}">{value}</span>'
    href = link_for(column, value, row)
    if href:
        return f'<a href="{escape(href)}">{escape(value)}</a>'
    return str(escape(value))


def cell(value: Any, column: str = "", row: dict[str, Any] | None = None) -> Markup:
    """A value as the HTML of one table cell (escaped; `column` and `row` decide its link)."""
    return Markup(_render(value, column, row))


def rows_html(rows: list[dict[str, Any]], keys: list[str]) -> Markup:
    """The `<tr>`s of a table: each row's `keys`, one `cell` each."""
    return Markup("".join("<tr>" + "".join(f"<td>{_render(row.get(k), k, row)}</td>" for k in keys) + "</tr>"
                          for row in rows))
