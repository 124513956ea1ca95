"""The Flask application: JSON under /api/v1 (`api_v1.py`, routes from `endpoints.py`), HTML pages (`pages.py`).

`create_app()` reads the settings as the CLI does (defaults, `detgraph.toml`, the environment;
credentials only from the environment) and makes one `Graph` (one driver) per process. Debug mode is
never set here: `detgraph serve --debug` is the only way to turn it on, for development.

    gunicorn --workers 2 --threads 4 'api.web:create_app()'
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from api.web.graph import DEFAULT_QUERY_TIMEOUT_S, Graph
from graph_schema.errors import ConfigError
from graph_schema.settings import Settings, load_settings

__all__ = ["create_app", "query_timeout"]


def query_timeout() -> float:
    """The per-query timeout in seconds: $DETGRAPH_QUERY_TIMEOUT, else 10."""
    raw = os.environ.get("DETGRAPH_QUERY_TIMEOUT", "")
    if not raw.strip():
        return DEFAULT_QUERY_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"DETGRAPH_QUERY_TIMEOUT={raw!r} is not a number of seconds") from None
    if not 0.1 <= value <= 600:
        raise ConfigError(f"DETGRAPH_QUERY_TIMEOUT={raw!r} must be between 0.1 and 600 seconds")
    return value


def create_app(settings: Settings | None = None, *, config: Path | None = None) -> Flask:
    """The app over the graph of `settings` (default: `load_settings(config)`)."""
    from api.web.api_v1 import CHECK_MAX_BYTES, api_v1
    from api.web.cache import install_cache
    from api.web.errors import register_error_handlers
    from api.web.pages import pages

    settings = settings or load_settings(config)
    app = Flask(__name__, static_folder=None)  # the pages blueprint serves /static
    app.config.update(MAX_CONTENT_LENGTH=CHECK_MAX_BYTES, JSON_SORT_KEYS=False)
    graph = app.extensions["detgraph.graph"] = Graph(settings, query_timeout())
    app.extensions["detgraph.settings"] = settings
    install_cache(app, graph)
    app.register_blueprint(api_v1)
    app.register_blueprint(pages)
    register_error_handlers(app)
    return app
