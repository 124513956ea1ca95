"""Throw-away local Neo4j servers for the test suite and the benchmarks — never the user's graph on 7687.

The test suite (tests/conftest.py) and bench/ share these: settings for a server of their own (ports and
a state folder under `.detgraph/<name>`), a context manager that starts one and stops it again when it
started it, and `clean_graph`.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from graph_schema.server import LocalServer
from graph_schema.settings import Settings, load_settings

if TYPE_CHECKING:
    from neo4j import Driver

__all__ = ["TEST_PASSWORD", "throwaway_settings", "throwaway_server", "clean_graph"]

TEST_PASSWORD = "detgraph-test"


def throwaway_settings(bolt_port: int | None = None, http_port: int | None = None, name: str = "test-neo4j", *,
                       state_root: Path | None = None, heap: str | None = None,
                       pagecache: str = "256m") -> Settings:
    """Settings for a throw-away local server: state in `<state_root>/<name>` (default ./.detgraph).

    Ports default to 7688/7475, or $DETGRAPH_TEST_BOLT_PORT / $DETGRAPH_TEST_HTTP_PORT (two checkouts testing
    at once); the heap to $DETGRAPH_TEST_HEAP or 768m. The password is $NEO4J_PASSWORD or `detgraph-test`.
    """
    bolt_port = bolt_port or int(os.environ.get("DETGRAPH_TEST_BOLT_PORT", "7688"))
    http_port = http_port or int(os.environ.get("DETGRAPH_TEST_HTTP_PORT", "7475"))
    env = {
        "DETGRAPH_STATE_DIR": str((state_root or Path.cwd() / ".detgraph") / name),
        "DETGRAPH_BOLT_PORT": str(bolt_port),
        "DETGRAPH_HTTP_PORT": str(http_port),
        "NEO4J_PASSWORD": os.environ.get("NEO4J_PASSWORD", TEST_PASSWORD),
    }
    for key in ("DETGRAPH_CACHE_DIR", "HOME"):
        if key in os.environ:
            env[key] = os.environ[key]
    settings = load_settings(config_path=Path("/nonexistent"), env=env)
    settings.heap = heap or os.environ.get("DETGRAPH_TEST_HEAP", "768m")
    settings.pagecache = pagecache
    return settings


@contextmanager
def throwaway_server(settings: Settings, *, keep: bool = False) -> Iterator[LocalServer]:
    """The server of `settings`, started here when it is not running and then stopped at the end (unless `keep`)."""
    server = LocalServer(settings)
    started = server.pid() is None
    server.start()
    try:
        yield server
    finally:
        if started and not keep:
            server.stop()


def clean_graph(driver: Driver, database: str | None = None) -> None:
    """Delete every node and relationship (Community Edition has one user database: clean, don't create)."""
    with driver.session(database=database) as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS").consume()
