"""Error answers: one body shape for every failure, JSON under /api/, an HTML page elsewhere.

`{"error": {"status": 400, "title": "Bad Request", "message": "parameter 'limit': '0' is not between 1 and
500"}}` — the message says what was wrong and what to do. 503 (Neo4j unreachable, or a query over its
timeout) adds `Retry-After`. A bug is a 500 whose body names no internals; its traceback goes to the log.
"""
from __future__ import annotations

import json
from http import HTTPStatus

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from graph_schema.errors import DetgraphError, RuleParseError

__all__ = ["register_error_handlers", "error_body"]

RETRY_AFTER_S = 5


def error_body(status: int, message: str) -> dict[str, dict[str, object]]:
    """The JSON error object every failing endpoint answers with."""
    return {"error": {"status": status, "title": HTTPStatus(status).phrase, "message": message}}


def _answer(status: int, message: str) -> Response:
    if request.path.startswith("/api/"):
        response = Response(json.dumps(error_body(status, message)), status=status, mimetype="application/json")
    else:
        page = render_template("error.html", status=status, title=HTTPStatus(status).phrase, message=message)
        response = Response(page, status=status, mimetype="text/html")
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def register_error_handlers(app: Flask) -> None:
    """Map the error tree, HTTP errors and bugs to answers."""

    @app.errorhandler(DetgraphError)
    def detgraph_error(exc: DetgraphError) -> Response:
        status = 400 if isinstance(exc, RuleParseError) else exc.http_status  # a draft that does not parse
        if status == 500:
            app.logger.error("unexpected detgraph error on %s: %s", request.path, exc)
            return _answer(500, "internal error; the server log has the details")
        return _answer(status, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 413:
            return _answer(413, f"the request body is over {app.config['MAX_CONTENT_LENGTH']} bytes")
        return _answer(status, exc.description or HTTPStatus(status).phrase)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        app.logger.exception("unexpected error on %s", request.path)
        return _answer(500, "internal error; the server log has the details")
