"""The API as a service: it starts while Neo4j is down, answers 503 with a clear message and Retry-After, and
serves again by itself once Neo4j is back; kept answers last until a load; `detgraph serve` runs it
(gunicorn) and prints its URL."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from api.web import create_app
from graph_schema.db import connect
from graph_schema.server import LocalServer
from graph_schema.settings import Settings
from loader.pipeline import run_load
from tests.conftest import FIXTURES, REPO_ROOT, free_port, second_server

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def own_server() -> Iterator[Settings]:
    """A server this module may stop (never the shared test server)."""
    with second_server("api-neo4j") as settings:
        yield settings


def test_neo4j_down_is_503_then_the_app_recovers_by_itself(own_server: Settings) -> None:
    server = LocalServer(own_server)
    app = create_app(own_server)
    client = app.test_client()
    assert client.get("/api/v1/techniques").status_code == 200  # empty graph: no rows, but an answer
    server.stop()
    try:
        for url in ("/api/v1/techniques", "/api/v1/techniques/T1609", "/api/v1/health"):
            down = client.get(url)
            assert down.status_code == 503, url
            assert down.headers["Retry-After"] == "5"
        error = client.get("/api/v1/techniques").get_json()["error"]
        assert error["status"] == 503 and "Neo4j is not reachable" in error["message"]
        page = client.get("/techniques/T1609")
        assert page.status_code == 503 and "Neo4j is not reachable" in page.get_data(as_text=True)
    finally:
        server.start()
    deadline = time.monotonic() + 60
    while client.get("/api/v1/health").status_code != 200:  # the same app, the same driver
        assert time.monotonic() < deadline, "the app did not recover after Neo4j came back"
        time.sleep(0.5)
    assert client.get("/api/v1/techniques").status_code == 200
    app.extensions["detgraph.graph"].close()


def test_kept_answers_last_until_a_load_changes_the_graph(own_server: Settings) -> None:
    app = create_app(own_server)
    client = app.test_client()
    first = client.get("/api/v1/techniques?limit=5")
    again = client.get("/api/v1/techniques?limit=5")
    assert again.headers.get("X-Detgraph-Cache") == "hit" and again.data == first.data
    assert client.get("/api/v1/techniques?limit=5", headers={"If-None-Match": again.headers["ETag"]}).status_code == 304
    with connect(own_server) as driver:
        run_load(driver, None, attack=FIXTURES / "attack" / "enterprise-attack.json")  # a new generation
    time.sleep(1.1)  # the generation is read again at most once a second
    after = client.get("/api/v1/techniques?limit=5")
    assert "X-Detgraph-Cache" not in after.headers and after.get_json()["data"] != first.get_json()["data"]
    app.extensions["detgraph.graph"].close()


def test_bad_neo4j_uri_is_a_clear_error(own_server: Settings) -> None:
    from dataclasses import replace

    app = create_app(replace(own_server, neo4j_uri="bolt://127.0.0.1:1"))
    response = app.test_client().get("/api/v1/techniques")
    app.extensions["detgraph.graph"].close()
    assert response.status_code == 503 and "bolt://127.0.0.1:1" in response.get_json()["error"]["message"]


def test_detgraph_serve_binds_localhost_and_prints_its_url(own_server: Settings) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "NEO4J_URI": own_server.neo4j_uri,
           "NEO4J_PASSWORD": own_server.neo4j_password}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "1"],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "detgraph serve did not answer"
                time.sleep(0.3)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in err and "Traceback" not in err
