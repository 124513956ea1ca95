"""HTML pages a person reads (server-rendered Jinja, templates/ and static/), over the same saved queries.

No Cypher lives here: every page runs saved queries (queries/*.cypher) through `graph().run(...)`, or
`rule_detail` / `review_text`, and hands the rows to a template. Bad input is the catalog's
`InvalidParameter` (400), a missing thing `NotFound` (404), Neo4j down `DatabaseUnavailable` (503); the
app's error handlers render those as `error.html`. Tables are the `table` macro of `macros.html`;
its cells are `cells.cell` (which also decides which cells link to which page).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, render_template, request, url_for

from api.web.api_v1 import graph
from api.web.cells import VENDORS, cell, link_for, rows_html
from graph_schema.errors import NotFound
from queries.browser import guide_html
from queries.catalog import NamedQuery, Parameter, Result, get_query, load_catalog

__all__ = ["pages"]

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/static")

INLINE_PREDICATES = 20
"""A technique page shows the predicates of at most this many rules inline (the rest link to their page)."""
LANGUAGES = ("", "sigma", "kuery", "eql", "esql", "lucene", "spl")

pages.add_app_template_global(link_for, "link_for")  # globals, so imported macros see them too
pages.add_app_template_global(cell, "cell")
pages.add_app_template_global(rows_html, "rows_html")


@pages.app_template_filter("first_of")
def first_of(column: str | tuple[str, str]) -> str:
    """A table column's key: `"rules"` or the first of `("rules", "Rules here")`."""
    return column if isinstance(column, str) else column[0]
pages.add_app_template_global(VENDORS, "vendor_names")


def ask(name: str, **params: Any) -> Result:
    """Run saved query `name` with `params` (validated by the catalog; the rest take their defaults)."""
    return graph().run(name, params)


def first_row(result: Result, what: str) -> dict[str, Any]:
    """The only row of a document query's result; `NotFound` naming `what` when there is none."""
    if not result.rows or all(v is None for v in result.rows[0].values()):
        raise NotFound(f"no {what}")
    return result.rows[0]


def document(name: str, what: str, **params: Any) -> dict[str, Any]:
    """Run a document query and return its only row (`first_row`)."""
    return first_row(ask(name, **params), what)


def _flag(name: str) -> bool:
    return request.args.get(name, "").strip().lower() in ("1", "true", "yes", "on")


# -- home, search, techniques -------------------------------------------------------------------------

def _heat_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """coverage_by_tactic rows with each vendor's covered share of the tactic's techniques."""
    return [{**r, "share": {v: (r[f"covered_{v}"] / r["techniques"]) if r["techniques"] else 0.0 for v in VENDORS}}
            for r in rows]


def _categories() -> dict[str, list[NamedQuery]]:
    by_category: dict[str, list[NamedQuery]] = defaultdict(list)
    for named in sorted(load_catalog().values(), key=lambda q: (q.category, q.title)):
        by_category[named.category].append(named)
    return dict(sorted(by_category.items()))


@pages.get("/")
def home() -> str:
    """Search, the tactic x vendor coverage heat map, reports by category."""
    tactics = _heat_rows(ask("coverage_by_tactic").rows)
    return render_template("home.html", tactics=tactics, categories=_categories())


@pages.get("/search")
def search() -> str:
    """Full-text rule search (rule_search)."""
    text = request.args.get("q", "").strip()
    vendor = request.args.get("vendor") or None
    rows = ask("rule_search", text=text, vendor=vendor, limit=100).rows if text else []
    return render_template("search.html", search_text=text, vendor=vendor, rows=rows)


@pages.get("/techniques")
def techniques() -> str:
    """ATT&CK techniques with rule counts; filter by tactic, vendor, text."""
    filters = {k: request.args.get(k) or None for k in ("tactic", "vendor", "search")}
    offset = request.args.get("offset") or 0
    result = ask("techniques", **filters, limit=100, offset=offset)
    tactics = ask("coverage_by_tactic").rows
    base_args = {k: v for k, v in filters.items() if v}
    start = int(result.params["offset"])
    nxt = {**base_args, "offset": start + 100} if len(result.rows) == 100 else None
    return render_template("techniques.html", rows=result.rows, filters=filters, tactics=tactics,
                           base_args=base_args, next_args=nxt, offset=start)


def _operators(ops: list[dict[str, Any]]) -> str:
    return ", ".join(f"{o['operator']} ×{o['count']}" for o in ops)


def _guide_sections(guide: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The guide's sections as table rows (operators as text, log sources with their events' keys)."""
    return {
        "events": guide["events"],
        "fields": [{**f, "operators": _operators(f["operators"])} for f in guide["fields"]],
        "indicators": guide["indicators"],
        "exclusions": guide["exclusions"],
        "recommended": [{"log_source": r["log_source"], "channel": r["channel"],
                         "events": [e["key"] for e in r["events"] if e],
                         "rules": sum(e["rules"] for e in r["events"] if e)} for r in guide["recommended"]],
    }


def _rule_predicates(uids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """uid -> its predicates in both forms, for the first `INLINE_PREDICATES` uids (one saved query)."""
    if not uids:
        return {}
    rows = ask("rule_predicates", uids=uids[:INLINE_PREDICATES]).rows
    return {row["uid"]: predicate_rows(row) for row in rows}


def predicate_rows(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """A rule's predicates (`rule_detail` or `rule_predicates`) flattened for a table: raw field/operator/value
    beside the canonical form."""
    return [{"idx": p["idx"], "field_raw": p["field"], "operator_raw": p["operator"],
             "value_raw": p["raw_value"] if p.get("raw_value") is not None else p["value"],
             "negated": p["negated"], "exclusion": p["exclusion"], "modifiers": p["modifiers"], "group": p["group"],
             "field": p["canonical"]["field"], "operator": p["canonical"]["operator"],
             "value": p["canonical"]["value"], "key": p["canonical"]["key"],
             "qualifiers": p["canonical"]["qualifiers"], "reach": p["corpus_reach"]}
            for p in detail["predicates"]]


@pages.get("/techniques/<technique>")
def technique(technique: str) -> str:
    """The technique reference: events, fields, indicators, exclusions, rules, recommended log sources."""
    rollup = _flag("rollup")
    result = ask("technique_guide", technique=technique, rollup=rollup,
                 limit=request.args.get("limit") or None)  # rows per section; the catalog checks 1-500
    guide, limit = first_row(result, f"technique {technique!r}"), int(result.params["limit"])
    uids = [r["uid"] for group in guide["rules"] for r in group["rules"]]
    log_sources = ask("technique_log_sources", technique=technique).rows
    sections = _guide_sections(guide)
    truncated = any(len(rows) >= limit for rows in sections.values())
    return render_template("technique.html", t=guide["technique"], sections=sections, rule_groups=guide["rules"],
                           predicates=_rule_predicates(uids), log_sources=log_sources, rollup=rollup,
                           inline_limit=INLINE_PREDICATES, limit=limit, truncated=truncated)


# -- rules, indicators, fields, events ------------------------------------------------------------

def _predicate_text(p: dict[str, Any]) -> str:
    head = f"{p['field'] or '*'} {p['operator']}"
    if p.get("raw_value") is not None:  # as written, quotes included
        return f"{head} {p['raw_value']}"
    return head if p["value"] is None else f"{head} {p['value']!r}"


def logic_text(node: Any, predicates: list[dict[str, Any]], depth: int = 0) -> str:
    """A rule's boolean tree (`{"and": [...]}`, `{"p": idx}`, vendor forms) as an indented expression."""
    pad = "  " * depth
    if not isinstance(node, dict) or not node:
        return f"{pad}{node}"
    op, arg = next(iter(node.items()))
    if op == "p":
        return pad + (_predicate_text(predicates[arg]) if isinstance(arg, int) and arg < len(predicates) else f"p{arg}")
    if op == "not":
        return f"{pad}not\n{logic_text(arg, predicates, depth + 1)}"
    items = arg if isinstance(arg, list) else [arg]
    return f"{pad}{op}\n" + "\n".join(logic_text(i, predicates, depth + 1) for i in items)


@pages.get("/rules/<path:uid>")
def rule(uid: str) -> str:
    """One rule: properties, predicates and exclusions (raw and canonical), events, techniques, source, query,
    similar rules."""
    from queries.rule_detail import rule_detail

    get_query("rule_find").parameter("id").coerce(uid)  # the id's format, before Neo4j
    with graph().translated_errors():
        detail = rule_detail(graph().driver, uid, graph().settings.neo4j_database)
    rows = predicate_rows(detail)
    similar = ask("similar_rules", uid=detail["uid"], limit=15).rows
    logic = logic_text(detail["logic"], detail["predicates"]) if detail["logic"] else None
    return render_template("rule.html", r=detail, logic=logic, selection=[p for p in rows if not p["exclusion"]],
                           exclusions=[p for p in rows if p["exclusion"]], similar=similar)


@pages.get("/indicators/<key>")
def indicator(key: str) -> str:
    """One canonical indicator: its rules across vendors and techniques (indicator_view)."""
    view = document("indicator_view", f"indicator {key!r}", key=key, limit=500)
    return render_template("indicator.html", view=view)


@pages.get("/fields/<path:field>")
def field(field: str) -> str:
    """One canonical field: vendor spellings, operators, top values (field_view)."""
    view = document("field_view", f"field {field!r}", field=field, limit=50)
    return render_template("field.html", view=view)


@pages.get("/events/<path:event>")
def event(event: str) -> str:
    """One event: the rules and techniques reading it, and what would be lost without it (telemetry_what_if)."""
    view = document("event_view", f"event {event!r}", event=event, limit=500)
    what_if = ask("telemetry_what_if", remove_events=[event], limit=200).rows[0]
    return render_template("event.html", view=view, what_if=what_if)


# -- reports -------------------------------------------------------------------------------------

@pages.get("/reports")
def reports() -> str:
    """Every saved query, by category."""
    return render_template("reports.html", categories=_categories())


@pages.app_template_filter("param_text")
def param_text(value: Any) -> str:
    """A parameter value as a form field shows it (`true`, `a,b`, empty for none)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)


def form_values(named: NamedQuery) -> dict[str, str]:
    """What the report form holds: the request's values, else each default (a required parameter: its example)."""
    if any(p.name in request.args for p in named.parameters):
        return {p.name: ",".join(request.args.getlist(p.name)) for p in named.parameters}
    return {p.name: param_text(p.example if p.required else p.default) for p in named.parameters}


def _browser_url(named: NamedQuery) -> str:
    port = graph().settings.http_port
    return f"http://127.0.0.1:{port}/browser/?cmd=edit&arg={quote(named.text, safe='')}"


def _input_kind(param: Parameter) -> str:
    if param.type == "boolean":
        return "boolean"
    if param.choices or param.format == "vendor":
        return "choice"
    return "number" if param.type in ("integer", "float") else "text"


@pages.get("/reports/<name>")
def report(name: str) -> str:
    """A saved query's page: its parameter form, the results table, downloads, the Cypher, a Browser link."""
    named = get_query(name)
    form = form_values(named)
    result = graph().run(named, named.bind(form), bound=True)
    given = urlencode([(k, v) for k, v in form.items() if v])
    api = url_for("api_v1.report", name=named.name)
    downloads = {"csv": f"{api}?{given + '&' if given else ''}format=csv", "json": f"{api}?{given}" if given else api}
    choices = {p.name: list(p.choices) or list(VENDORS) for p in named.parameters}
    return render_template("report.html", q=named, form=form, result=result, downloads=downloads,
                           browser_url=_browser_url(named), input_kind=_input_kind, choices=choices)


# -- the draft check, the Browser guide ----------------------------------------------------------------

@pages.route("/check", methods=["GET", "POST"])
def check() -> str:
    """Review a pasted draft rule against the corpus (review_text): its findings and how it parsed."""
    from queries.review import review_text
    from queries.review.findings import SEVERITIES

    text = request.form.get("text", "")
    filename = request.form.get("filename", "").strip() or None
    language = request.form.get("language", "").strip() or None
    review = None
    if request.method == "POST":
        with graph().translated_errors():
            review = review_text(text, filename, language, driver=graph().driver,
                                 database=graph().settings.neo4j_database).to_dict()
        for draft in review["drafts"]:  # the worst first
            draft["findings"].sort(key=lambda f: -SEVERITIES.index(f["severity"]))
    return render_template("check.html", review=review, text=text, filename=filename or "",
                           language=language or "", languages=LANGUAGES)


@pages.get("/guide")
def guide() -> Response:
    """The Neo4j Browser `:play` guide (Browser fetches it from here: CORS allows any origin)."""
    response = Response(guide_html(), mimetype="text/html")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
