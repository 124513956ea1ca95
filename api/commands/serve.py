"""`detgraph serve`: the API and pages on this machine (gunicorn, as docker-compose runs them).

Imported only when the command runs (api/cli.py loads commands lazily), so gunicorn is not loaded otherwise.
"""
from __future__ import annotations

from typing import Any

import click
from gunicorn.app.base import BaseApplication

from api.clikit import settings_of

__all__ = ["serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (0.0.0.0 exposes the API to the network).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32), help="Worker processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Threads per worker.")
@click.option("--debug", is_flag=True, help="Flask's development server with the debugger (development only).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, threads: int, debug: bool) -> None:
    """Serve the JSON API (/api/v1) and the pages until Ctrl-C.

    \b
    Example:
      detgraph serve --port 8000
    """
    from api.web import create_app

    app = create_app(settings_of(ctx))
    click.echo(f"detgraph API and pages on http://{host}:{port}/  (OpenAPI: http://{host}:{port}/api/v1/docs)",
               err=True)
    if debug:
        app.run(host=host, port=port, debug=True, threaded=True)
        return
    _Gunicorn(app, {"bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread",
                    "accesslog": None, "errorlog": "-", "loglevel": "warning", "timeout": 60}).run()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn serving an app object made here (not imported by path)."""

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self.application, self.options = app, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application
