"""`detgraph db start|stop|status`: the project's own local Neo4j server."""
from __future__ import annotations

import json
import sys
import time

import click

from api.clikit import DetgraphGroup, settings_of
from graph_schema.server import LocalServer


@click.group(cls=DetgraphGroup)
def db() -> None:
    """Run the project's own local Neo4j 5.26 server (no Docker needed).

    \b
    Example:
      detgraph db start
    """


@db.command("start")
@click.pass_context
def db_start(ctx: click.Context) -> None:
    """Install (first run: Maven download) and start Neo4j; harmless when it already runs.

    \b
    Example:
      detgraph db start   # Bolt on 127.0.0.1:7687, Browser on http://127.0.0.1:7474/browser/
    """
    server = LocalServer(settings_of(ctx))
    if not server.installed():
        click.echo("Fetching Neo4j server jars with Maven (first run only)...", err=True)
    t0 = time.monotonic()
    was_running = server.pid() is not None
    status = server.start()
    verb = "already running" if was_running else f"started in {time.monotonic() - t0:.1f}s"
    click.echo(f"Neo4j {status.version} {verb} (pid {status.pid})")
    click.echo(f"  Bolt:    {status.bolt_url}")
    click.echo(f"  Browser: {status.browser_url}")


@db.command("stop")
@click.pass_context
def db_stop(ctx: click.Context) -> None:
    """Stop the Neo4j server this project started (by its pid).

    \b
    Example:
      detgraph db stop
    """
    stopped = LocalServer(settings_of(ctx)).stop()
    click.echo("Neo4j stopped" if stopped else "Neo4j was not running")


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def db_status(ctx: click.Context, as_json: bool) -> None:
    """Say whether the local Neo4j runs, and its version; exits 3 when stopped.

    \b
    Example:
      detgraph db status --json
    """
    status = LocalServer(settings_of(ctx)).status()
    if as_json:
        click.echo(json.dumps({"running": status.running, "pid": status.pid, "version": status.version,
                               "bolt": status.bolt_url, "browser": status.browser_url}))
    else:
        click.echo(status.describe())
    if not status.running:
        sys.exit(3)


@db.command("fingerprint")
@click.option("--json", "as_json", is_flag=True, help="Print the fingerprint as JSON.")
@click.pass_context
def db_fingerprint(ctx: click.Context, as_json: bool) -> None:
    """Count nodes per label and relationships per type, and hash the graph's content (load times left out).

    Two loads of the same input give the same digest; compare it before and after to see a change.

    \b
    Example:
      detgraph db fingerprint --json
    """
    from graph_schema.db import open_driver
    from graph_schema.fingerprint import fingerprint

    s = settings_of(ctx)
    with open_driver(s) as driver:
        fp = fingerprint(driver, s.neo4j_database)
    click.echo(json.dumps(fp.to_dict(), indent=2) if as_json else fp.describe())
