"""The OpenAPI 3.1 document of /api/v1, generated from the route table and the saved queries' headers.

The catalog already declares every parameter's type, format, bounds and example (queries/*.cypher), and
every query's columns; the document is that metadata in OpenAPI's words, so it cannot drift from what the
API validates. (A schema library such as apispec would need the same facts restated as marshmallow
schemas.) Checked in the tests with openapi-spec-validator and exercised with schemathesis.
"""
from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

from api.web.endpoints import ENDPOINTS, Endpoint, openapi_path, path_parameters
from queries.catalog import FORMAT_HINTS, FORMATS, VENDOR_NAMES, NamedQuery, Parameter, load_catalog

__all__ = ["openapi_spec", "parameter_schema", "operations"]

_TYPES = {"string": "string", "integer": "integer", "float": "number", "boolean": "boolean"}
_ERRORS = {"400": "A parameter is missing, unknown or out of range (the message says which)",
           "404": "No such technique, rule, indicator, field, event or report",
           "503": "Neo4j is not reachable (or the query ran over its timeout); retry after `Retry-After` seconds"}


def _pattern(fmt: str) -> str:
    return f"^(?:{FORMATS[fmt].pattern})$"


def parameter_schema(p: Parameter) -> dict[str, Any]:
    """A catalog parameter as a JSON schema."""
    if p.type == "list":
        item: dict[str, Any] = {"type": "string"}
        if p.format:
            item["pattern"] = _pattern(p.format)
        return {"type": "array", "items": item}
    schema: dict[str, Any] = {"type": _TYPES[p.type]}
    if p.format:
        schema["pattern"] = _pattern(p.format)
    if p.type == "string":
        schema["maxLength"] = 2000
        schema["minLength"] = 1
    if p.minimum is not None:
        schema["minimum"] = p.minimum
    if p.maximum is not None:
        schema["maximum"] = p.maximum
    if p.choices:
        schema["enum"] = list(p.choices)
    if p.default is not None:
        schema["default"] = p.default
    return schema


def _parameter(p: Parameter, where: str) -> dict[str, Any]:
    description = p.description or p.name
    if p.format:
        description += f" ({FORMAT_HINTS[p.format]})"
    out: dict[str, Any] = {"name": p.name, "in": where, "required": where == "path" or p.required,
                           "description": description, "schema": parameter_schema(p), "example": p.example}
    if p.type == "list":
        out.update(style="form", explode=True)
    return out


def _offset() -> dict[str, Any]:
    return {"name": "offset", "in": "query", "required": False, "description": "rows to skip (paging)",
            "schema": {"type": "integer", "minimum": 0, "maximum": 10_000, "default": 0}}


def _rows(columns: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "object", "required": list(columns), "properties": {c: {} for c in columns}}


def _ok(description: str, data: dict[str, Any], meta: str = "ListMeta") -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "required": ["data"],
        "properties": {"data": data, "meta": {"$ref": f"#/components/schemas/{meta}"}}}}}},
        "304": {"description": "Not modified (If-None-Match matched the ETag)"}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"description": _ERRORS[code], "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Error"}}}} for code in codes}


def _catalog_operation(endpoint: Endpoint) -> dict[str, Any]:
    named = endpoint.named
    in_path = set(path_parameters(endpoint.path))
    params = [_parameter(p, "path" if p.name in in_path else "query") for p in named.parameters]
    if endpoint.document:
        responses = _ok(named.title, _rows(named.columns), "DocumentMeta")
    else:
        if "offset" not in {p.name for p in named.parameters}:
            params.append(_offset())
        responses = _ok(named.title, {"type": "array", "items": _rows(named.columns)})
    codes = ("400", "404", "503") if endpoint.document or in_path else ("400", "503")
    return {"operationId": named.name, "summary": endpoint.summary, "description": named.description,
            "tags": [endpoint.tag], "parameters": params, "responses": {**responses, **_errors(*codes)},
            "x-saved-query": named.name}


def _report_operations(catalog: dict[str, NamedQuery]) -> dict[str, Any]:
    name = {"name": "name", "in": "path", "required": True, "description": "a saved query's name (GET /reports)",
            "schema": {"type": "string", "enum": sorted(catalog)}, "example": "coverage_by_tactic"}
    return {
        "/reports": {"get": {"operationId": "reports", "summary": "Every saved query with its parameters",
                             "tags": ["Reports"], "responses": _ok("The catalog", {"type": "array", "items": {
                                 "type": "object", "required": ["name", "title", "parameters"]}}, "Count")}},
        "/reports/{name}": {"get": {
            "operationId": "report", "summary": "Run any saved query",
            "description": "The query string holds the report's own parameters (see GET /reports; a required one "
                           "missing is a 400), plus `offset` and `format` (json, or csv for a download).",
            "tags": ["Reports"],
            "parameters": [name, _offset(), {"name": "format", "in": "query", "required": False,
                                             "schema": {"type": "string", "enum": ["json", "csv"]}}],
            "responses": {**_csv(_ok("The rows (JSON, or CSV with format=csv)",
                                     {"type": "array", "items": {"type": "object"}})),
                          **_errors("400", "404", "503")}}},
    }


def _csv(responses: dict[str, Any]) -> dict[str, Any]:
    responses["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}
    return responses


def _hand_written() -> dict[str, Any]:
    uid = {"name": "uid", "in": "path", "required": True, "description": "a rule uid (vendor:rule_id) or rule id",
           "schema": {"type": "string", "pattern": _pattern("rule"), "maxLength": 300}, "example":
               "sigma:ebef4391-1a81-4761-a40a-1db446c0e625"}
    vendor = {"name": "vendor", "in": "query", "required": False, "schema": {"type": "string",
                                                                              "enum": list(VENDOR_NAMES)}}
    anything = {"type": "object"}
    return {
        "/rules/{uid}": {"get": {"operationId": "rule_detail", "summary": "One rule as loaded (docs/rule-json.md)",
                                 "tags": ["Rules"], "parameters": [uid],
                                 "responses": {**_ok("The rule", anything, "DocumentMeta"),
                                               **_errors("400", "404", "503")}}},
        "/rules/check": {"post": {
            "operationId": "check", "summary": "Review a draft rule against the corpus (as `detgraph check`)",
            "tags": ["Rules"],
            "parameters": [{"name": "filename", "in": "query", "required": False, "schema": {"type": "string"}},
                           {"name": "language", "in": "query", "required": False, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object", "required": ["text"], "properties": {
                    "text": {"type": "string"}, "filename": {"type": "string"}, "language": {"type": "string"}}}}}},
            "responses": {"200": {"description": "The review (findings per draft)",
                                  "content": {"application/json": {"schema": anything}}},
                          **_errors("400", "503")}}},
        "/navigator": {"get": {
            "operationId": "navigator", "summary": "ATT&CK Navigator layer (format 4.5, enterprise-attack)",
            "tags": ["Coverage"],
            "parameters": [{"name": "score", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["rules", "vendors", "events"]}}, vendor],
            "responses": {"200": {"description": "The layer", "content": {"application/json": {"schema": {
                "type": "object", "required": ["name", "versions", "domain", "techniques"]}}}},
                          "304": {"description": "Not modified"}, **_errors("400", "503")}}},
        "/health": {"get": {"operationId": "health", "summary": "Whether Neo4j answers", "tags": ["Service"],
                            "responses": {"200": {"description": "up", "content": {"application/json": {
                                "schema": anything}}},
                                "503": {"description": "Neo4j is down", "content": {"application/json": {
                                    "schema": anything}}}}}},
    }


@cache
def openapi_spec() -> dict[str, Any]:
    """The whole document (built once per process)."""
    paths: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        paths[openapi_path(endpoint.path)] = {"get": _catalog_operation(endpoint)}
    paths.update(_report_operations(load_catalog()))
    paths.update(_hand_written())
    meta_props = {"query": {"type": "string"}, "params": {"type": "object"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "detgraph API", "version": "1",
                 "description": "Detection rules (Sigma, Elastic, Splunk) on MITRE ATT&CK, as a graph: every "
                                "GET route runs one saved query of the catalog (`x-saved-query`)."},
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["status", "title", "message"],
                "properties": {"status": {"type": "integer"}, "title": {"type": "string"},
                               "message": {"type": "string"}}}}},
            "ListMeta": {"type": "object", "required": ["count", "limit", "offset", "next"], "properties": {
                **meta_props, "columns": {"type": "array", "items": {"type": "string"}},
                "count": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
                "next": {"type": ["string", "null"]}}},
            "DocumentMeta": {"type": "object", "properties": meta_props},
            "Count": {"type": "object", "properties": {"count": {"type": "integer"}}},
        }},
    }


def _example_url(path: str, parameters: list[dict[str, Any]]) -> str | None:
    """`/api/v1<path>` with every path parameter and required query parameter at its example."""
    query = []
    for p in parameters:
        if "example" not in p:
            if p["in"] == "path" or p["required"]:
                return None
            continue
        example = p["example"]
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", quote(str(example), safe=":"))
        elif p["required"] and example not in (None, [], ""):
            for item in example if isinstance(example, list) else [example]:
                query.append((p["name"], str(item).lower() if isinstance(item, bool) else str(item)))
    return f"/api/v1{path}" + (f"?{urlencode(query)}" if query else "")


def operations() -> list[dict[str, Any]]:
    """Every operation of the document, flat and in tag order, for the docs page."""
    out = []
    for path, methods in openapi_spec()["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            out.append({"tag": op["tags"][0], "method": method, "path": path, "summary": op["summary"],
                        "id": op["operationId"], "parameters": params, "responses": list(op["responses"]),
                        "query": op.get("x-saved-query"),
                        "example": _example_url(path, params) if method == "get" else None})
    return sorted(out, key=lambda o: (o["tag"], o["path"]))
