"""HTML pages a person reads (server-rendered Jinja, templates/ and static/), over the same saved queries."""
from __future__ import annotations

from flask import Blueprint, Response

from queries.browser import guide_html

__all__ = ["pages"]

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/static")


@pages.get("/reports/<name>")
def report(name: str) -> str:
    """A saved query's page."""
    return name


@pages.get("/guide")
def guide() -> Response:
    """The Neo4j Browser `:play` guide (Browser fetches it from here: CORS allows any origin)."""
    response = Response(guide_html(), mimetype="text/html")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
