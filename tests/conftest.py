"""Shared pytest fixtures: the real corpora and (lazily) the project's real Neo4j server."""
from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from neo4j import Driver

from graph_schema import testing
from graph_schema.db import connect
from graph_schema.field_catalog import ecs_schema_path
from graph_schema.schema import apply_schema
from graph_schema.server import LocalServer
from graph_schema.settings import Settings
from graph_schema.testing import throwaway_server, throwaway_settings
from loader.pipeline import run_load
from loader.report import LoadReport

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


CORPORA = Path(os.environ.get("DETGRAPH_CORPORA", REPO_ROOT.parent / "shared" / "corpora"))
ECS = ecs_schema_path(CORPORA / "elastic")
"""The ECS 9.5 flat schema in the real Elastic corpus: every load needs it for the canonical fields."""
os.environ.setdefault("DETGRAPH_ECS", str(ECS))  # for loads of fixture corpora through the CLI (subprocesses too)


@pytest.fixture(scope="session")
def corpora() -> Path:
    """`../shared/corpora` (or $DETGRAPH_CORPORA); a missing corpus fails the test, never skips it."""
    assert CORPORA.is_dir(), f"corpora not found at {CORPORA}: set DETGRAPH_CORPORA"
    return CORPORA


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """tests/fixtures."""
    return FIXTURES


# -- Neo4j ----------------------------------------------------------------------------------------
# Tests use their own server (ports 7688/7475, state in .detgraph/test-neo4j) so they never wipe the
# graph a user loaded on 7687. It is started on demand and stopped at the end if this session started it.

def test_settings(bolt_port: int | None = None, http_port: int | None = None, name: str = "test-neo4j") -> Settings:
    """Settings for a throw-away local server of the test suite (graph_schema.testing.throwaway_settings).

    Ports default to 7688/7475, or $DETGRAPH_TEST_BOLT_PORT / $DETGRAPH_TEST_HTTP_PORT (two checkouts testing at once).
    """
    return throwaway_settings(bolt_port, http_port, name, state_root=REPO_ROOT / ".detgraph")


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a test, despite the name


@pytest.fixture(scope="session")
def neo4j_settings() -> Iterator[Settings]:
    """Settings of the running test server (started here when needed)."""
    settings = test_settings()
    server = LocalServer(settings)
    started = server.pid() is None
    server.start()
    yield settings
    if started and os.environ.get("DETGRAPH_KEEP_TEST_SERVER") != "1":
        server.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def second_server(name: str) -> Iterator[Settings]:
    """A server of its own for a test that stops or kills it, never the shared test server: ports
    $DETGRAPH_TEST2_BOLT_PORT / _HTTP_PORT, or free ones; started empty, stopped and removed at the end."""
    bolt = int(os.environ.get("DETGRAPH_TEST2_BOLT_PORT") or free_port())
    http = int(os.environ.get("DETGRAPH_TEST2_HTTP_PORT") or free_port())
    settings = test_settings(bolt, http, name)
    shutil.rmtree(settings.state_dir, ignore_errors=True)  # an empty graph, whatever an earlier run left
    with throwaway_server(settings):
        yield settings
    shutil.rmtree(settings.state_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def driver(neo4j_settings: Settings) -> Iterator[Driver]:
    """One driver for the whole session, with the schema applied."""
    drv = connect(neo4j_settings)
    apply_schema(drv)
    yield drv
    drv.close()


_FULL: dict[str, LoadReport] = {}  # the report of the full-corpora load the test graph holds, if it holds one


def clean_graph(drv: Driver) -> None:
    """Delete every node and relationship (Community Edition has one user database: clean, don't create)."""
    testing.clean_graph(drv)
    _FULL.clear()


def load_full_corpora(drv: Driver, corpora: Path) -> LoadReport:
    """Load ATT&CK and every real corpus into the test graph (once: later callers get the same report until a
    module cleans the graph)."""
    if "report" not in _FULL:
        vendors = {v: corpora / v for v in ("sigma", "elastic", "splunk")}
        _FULL["report"] = run_load(drv, None, attack=corpora / "attack" / "enterprise-attack.json.gz",
                                   attack_version="18.1", corpora=vendors)
    return _FULL["report"]


@pytest.fixture(scope="module")
def full_graph(driver: Driver, corpora: Path) -> tuple[Driver, LoadReport]:
    """The driver on a graph holding ATT&CK 18.1 and the full real corpora, and that load's report.

    Modules using it are named `test_corpus_*.py` so they run one after the other and share one load.
    """
    return driver, load_full_corpora(driver, corpora)


@pytest.fixture(scope="module")
def graph(driver: Driver) -> Driver:
    """The driver, on a graph emptied at the start of the test module."""
    clean_graph(driver)
    apply_schema(driver)
    return driver


@pytest.fixture(scope="session")
def web_app(neo4j_settings: Settings) -> Iterator[Flask]:
    """The web app (`api.web.create_app`) over the test server, for the whole session; it loads nothing: a
    test needing the full corpora also takes `full_graph`."""
    from api.web import create_app

    app = create_app(neo4j_settings)
    yield app
    app.extensions["detgraph.graph"].close()


@pytest.fixture(scope="session")
def live_app(web_app: Flask) -> Iterator[str]:
    """`web_app` served by werkzeug on a free 127.0.0.1 port in a background thread; its base URL
    (`http://127.0.0.1:PORT`)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
