"""The JSON API under /api/v1: the catalog-backed routes of `endpoints.ENDPOINTS`, and the few written out here.

Lists come as `{"data": [rows], "meta": {query, params, columns, count, limit, offset, next}}`, documents
as `{"data": {...}, "meta": {query, params}}`; errors as `errors.error_body`. Every answer carries an
ETag of its body (a matching `If-None-Match` gets 304) and `Server-Timing` with the database time.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for

from api.web.endpoints import ENDPOINTS, Endpoint
from api.web.graph import Graph
from graph_schema.errors import BadDraft, InvalidParameter, NotFound
from queries.catalog import NamedQuery, Parameter, Result, get_query, load_catalog
from queries.formats import render

__all__ = ["api_v1", "graph", "query_values", "paged", "CHECK_MAX_BYTES", "MAX_OFFSET"]

api_v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")
CHECK_MAX_BYTES = 256 * 1024  # a draft rule is a few KiB; the body limit of POST /rules/check
MAX_OFFSET = 10_000
_RESERVED = ("offset", "format")


def graph() -> Graph:
    """The app's `Graph` (one driver per process)."""
    return current_app.extensions["detgraph.graph"]


def query_values(named: NamedQuery, path_values: dict[str, Any] | None = None,
                 reserved: tuple[str, ...] = _RESERVED) -> dict[str, Any]:
    """The query's parameters from the path and the query string (a repeated name is a list); an unknown
    name or a bad value is `InvalidParameter` (400)."""
    given: dict[str, Any] = {}
    declared = {p.name for p in named.parameters}
    for name in request.args:
        if name in reserved and name not in declared:  # `offset` of a query that pages in Cypher is its own
            continue
        values = request.args.getlist(name)
        param = named.parameter(name)  # unknown -> 400 naming the known ones
        given[name] = values if param.type == "list" and len(values) > 1 else values[-1]
    given.update(path_values or {})
    return named.bind(given)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(f"parameter {name!r}: {raw[:40]!r} is not an integer") from None
    if not low <= value <= high:
        raise InvalidParameter(f"parameter {name!r}: {value} is not between {low} and {high}")
    return value


def _limit_param(named: NamedQuery) -> Parameter | None:
    return next((p for p in named.parameters if p.name == "limit"), None)


def paged(named: NamedQuery, values: dict[str, Any]) -> tuple[Result, int, int, bool]:
    """Run a list query for one page: (result holding only the page's rows, offset, limit, more rows follow).

    A query with its own `offset` parameter pages in Cypher; any other asks for `offset + limit` rows (never
    more than its `limit` maximum) and returns the last `limit` of them.
    """
    declared = {p.name for p in named.parameters}
    limit_param = _limit_param(named)
    limit = int(values["limit"]) if limit_param is not None else None
    if "offset" in declared:
        offset = int(values["offset"])
        result = graph().run(named, values, bound=True)
        return result, offset, limit or len(result.rows), limit is not None and len(result.rows) == limit
    ceiling = int(limit_param.maximum) if limit_param is not None and limit_param.maximum is not None else MAX_OFFSET
    offset = _int_arg("offset", 0, 0, MAX_OFFSET)
    if limit_param is None:  # the query returns everything: page in Python
        result = graph().run(named, values, bound=True)
        rows = result.rows[offset:]
        return _with_rows(result, rows), offset, len(rows), False
    if offset + limit > ceiling:
        raise InvalidParameter(f"offset + limit is {offset + limit}; this list goes to {ceiling} rows at most")
    result = graph().run(named, {**values, "limit": offset + limit}, bound=True)
    more = len(result.rows) == offset + limit and offset + 2 * limit <= ceiling
    return _with_rows(result, result.rows[offset:]), offset, limit, more


def _with_rows(result: Result, rows: list[dict[str, Any]]) -> Result:
    return Result(result.query, result.params, result.columns, rows, result.seconds, result.db_hits)


def respond(payload: Any, *, seconds: float | None = None, status: int = 200) -> Response:
    """A JSON response with an ETag of its body (304 on a matching If-None-Match) and Server-Timing."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    response = current_app.response_class(body, status=status, mimetype="application/json")
    if seconds is not None:
        response.headers["Server-Timing"] = f"db;dur={seconds * 1000:.1f}"
    if status == 200:
        response.headers["Cache-Control"] = "no-cache"  # revalidate: the graph changes only when a load runs
        response.add_etag()
        response.make_conditional(request)
    return response


def _next_url(offset: int, limit: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "offset"]
    return f"{request.path}?{urlencode([*args, ('offset', offset + limit)])}"


def list_response(named: NamedQuery, values: dict[str, Any]) -> Response:
    """One page of a list query, as JSON."""
    result, offset, limit, more = paged(named, values)
    meta = {"query": named.name, "params": values, "columns": result.columns, "count": len(result.rows),
            "limit": limit, "offset": offset, "next": _next_url(offset, limit) if more else None}
    return respond({"data": result.rows, "meta": meta}, seconds=result.seconds)


def document_response(named: NamedQuery, values: dict[str, Any], what: str) -> Response:
    """The only row of a document query, as JSON; 404 naming `what` when there is none."""
    result = graph().run(named, values, bound=True)
    if not result.rows:
        raise NotFound(f"no {what}")
    return respond({"data": result.rows[0], "meta": {"query": named.name, "params": values}}, seconds=result.seconds)


def _catalog_view(endpoint: Endpoint) -> Any:
    named = endpoint.named

    def view(**path_values: str) -> Response:
        values = query_values(named, path_values)
        if endpoint.document:
            noun = endpoint.tag.lower().removesuffix("s")  # "Indicators" -> "indicator 'ab12...'"
            what = ", ".join(f"{noun} {v!r}" for v in path_values.values()) or "result for these parameters"
            return document_response(named, values, what)
        return list_response(named, values)

    view.__name__ = endpoint.name
    view.__doc__ = endpoint.summary
    return view


for _endpoint in ENDPOINTS:
    api_v1.add_url_rule(_endpoint.path, _endpoint.name, _catalog_view(_endpoint), methods=["GET"])


def report_meta(named: NamedQuery) -> dict[str, Any]:
    """A saved query's metadata as JSON (the report list, the report page)."""
    return {
        "name": named.name, "title": named.title, "description": named.description, "category": named.category,
        "tags": list(named.tags), "columns": list(named.columns),
        "parameters": [{"name": p.name, "type": p.type, "format": p.format, "required": p.required,
                        "default": p.default, "example": p.example, "description": p.description,
                        "minimum": p.minimum, "maximum": p.maximum, "choices": list(p.choices)}
                       for p in named.parameters],
        "links": {"run": url_for("api_v1.report", name=named.name), "page": url_for("pages.report", name=named.name)},
    }


@api_v1.get("/reports")
def reports() -> Response:
    """Every saved query, by category and name."""
    named = sorted(load_catalog().values(), key=lambda q: (q.category, q.name))
    return respond({"data": [report_meta(q) for q in named], "meta": {"count": len(named)}})


@api_v1.get("/reports/<name>")
def report(name: str) -> Response:
    """Run any saved query with its parameters from the query string; `format=csv` for a CSV download."""
    named = get_query(name)
    values = query_values(named)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise InvalidParameter(f"parameter 'format': {fmt[:20]!r} is not json or csv")
    if fmt == "csv":
        result = graph().run(named, values, bound=True)
        response = current_app.response_class(render(result, "csv"), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{named.name}.csv"'
        response.add_etag()
        return response.make_conditional(request)
    return list_response(named, values)


@api_v1.get("/rules/<path:uid>")
def rule(uid: str) -> Response:
    """One rule as loaded: properties, predicates (raw and canonical), exclusions, events, techniques,
    provenance, the original query (docs/rule-json.md)."""
    from queries.rule_detail import rule_detail

    get_query("rule_find").parameter("id").coerce(uid)  # the id's format, before Neo4j
    with graph().translated_errors():
        detail = rule_detail(graph().driver, uid, graph().settings.neo4j_database)
    return respond({"data": detail, "meta": {"query": "rule_detail", "params": {"uid": uid}}})


@api_v1.get("/navigator")
def navigator() -> Response:
    """An ATT&CK Navigator layer (4.5, enterprise-attack) scored by rules, vendors or events."""
    from queries.navigator import SCORES, navigator_layer

    values = query_values(get_query("navigator_techniques"), reserved=("score",))
    score = request.args.get("score", "rules")
    if score not in SCORES:
        raise InvalidParameter(f"parameter 'score': {score[:20]!r} is not one of {', '.join(SCORES)}")
    with graph().translated_errors():
        layer = navigator_layer(graph().driver, score=score, vendor=values["vendor"],
                                database=graph().settings.neo4j_database)
    return respond(layer)


@api_v1.post("/rules/check")
def check() -> Response:
    """Review a draft rule against the loaded corpus (the JSON of `detgraph check --format json`).

    Body: the draft itself (`?filename=x.yml` / `?language=kql` say what it is), or JSON
    `{"text": ..., "filename": ..., "language": ...}`.
    """
    from queries.review import review_text

    raw = request.get_data(cache=False)
    if len(raw) > CHECK_MAX_BYTES:
        raise BadDraft(f"the draft is {len(raw)} bytes; at most {CHECK_MAX_BYTES} are accepted")
    filename, language = request.args.get("filename"), request.args.get("language")
    text: str | bytes = raw
    if request.mimetype == "application/json":
        try:
            body = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            raise BadDraft("the body is not JSON: send {\"text\": ...} or the draft as text/plain") from None
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise BadDraft("a JSON body needs a string \"text\" (and optionally \"filename\", \"language\")")
        text = body["text"]
        filename = body.get("filename") if isinstance(body.get("filename"), str) else filename
        language = body.get("language") if isinstance(body.get("language"), str) else language
    with graph().translated_errors():
        review = review_text(text, filename, language, driver=graph().driver,
                             database=graph().settings.neo4j_database)
    return respond(review.to_dict())


@api_v1.get("/health")
def health() -> Response:
    """Whether Neo4j answers (200) or not (503)."""
    up = graph().ping()
    body = {"status": "ok" if up else "unavailable", "neo4j": "up" if up else "down"}
    response = current_app.response_class(json.dumps(body), status=200 if up else 503, mimetype="application/json")
    if not up:
        response.headers["Retry-After"] = "5"
    return response


@api_v1.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API."""
    from api.web.openapi import openapi_spec

    return respond(openapi_spec())


@api_v1.get("/docs")
def docs() -> str:
    """The OpenAPI document as a page a person reads, each GET with a "try it" link on its example values."""
    from api.web.openapi import openapi_spec, operations

    return render_template("api_docs.html", spec=openapi_spec(), operations=operations())
