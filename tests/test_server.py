"""The project's own Neo4j server: start, double start, status, stop, and the unreachable-database error."""
from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner
from neo4j import Driver

from api.cli import cli
from graph_schema.db import connect
from graph_schema.errors import DatabaseUnavailable, ServerError
from graph_schema.server import NEO4J_VERSION, LocalServer
from graph_schema.settings import load_settings
from tests.conftest import test_settings

pytestmark = pytest.mark.neo4j


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_server_lifecycle_start_twice_status_stop() -> None:
    settings = test_settings(bolt_port=_free_port(), http_port=_free_port(), name="lifecycle-neo4j")
    server = LocalServer(settings)
    assert not server.status().running
    first = server.start()
    try:
        assert first.running and first.version == NEO4J_VERSION
        second = server.start()  # harmless: same process
        assert second.pid == first.pid
        with connect(settings) as drv:
            assert drv.execute_query("RETURN 1 AS one").records[0]["one"] == 1
    finally:
        assert server.stop() is True
    assert not server.status().running
    assert server.stop() is False  # stopping again is harmless too


def test_server_port_taken_is_one_line_error(neo4j_settings) -> None:
    # the test server holds its Bolt port: a second server wanting the same port must refuse
    other = test_settings(bolt_port=neo4j_settings.bolt_port, http_port=_free_port(), name="port-clash")
    with pytest.raises(ServerError, match=f"port {neo4j_settings.bolt_port} .* is taken"):
        LocalServer(other).start()


def test_cypher_round_trip_through_official_driver(driver: Driver) -> None:
    records, _, _ = driver.execute_query("CREATE (n:RoundTrip {v: $v}) RETURN n.v AS v", v="héllo ✓")
    assert records[0]["v"] == "héllo ✓"
    driver.execute_query("MATCH (n:RoundTrip) DELETE n")


def test_browser_is_served(neo4j_settings) -> None:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{neo4j_settings.http_port}/browser/", timeout=10) as resp:
        assert resp.status == 200
        assert b"Neo4j Browser" in resp.read()


def test_unreachable_database_error_names_uri_and_fix() -> None:
    settings = load_settings(env={"NEO4J_URI": f"bolt://127.0.0.1:{_free_port()}"})
    with pytest.raises(DatabaseUnavailable) as err:
        connect(settings, timeout=2)
    assert settings.neo4j_uri in str(err.value) and "detgraph db start" in str(err.value)


def test_cli_unreachable_database_is_one_line_exit_2() -> None:
    result = CliRunner().invoke(cli, ["schema", "apply"], env={"NEO4J_URI": f"bolt://127.0.0.1:{_free_port()}"})
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: Neo4j is not reachable")


def test_cli_status_reports_running_and_version(neo4j_settings) -> None:
    env = {"DETGRAPH_STATE_DIR": str(neo4j_settings.state_dir), "DETGRAPH_BOLT_PORT": str(neo4j_settings.bolt_port),
           "DETGRAPH_HTTP_PORT": str(neo4j_settings.http_port)}
    result = CliRunner().invoke(cli, ["db", "status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert f'"version": "{NEO4J_VERSION}"' in result.output and '"running": true' in result.output


def test_cli_missing_java_is_one_line(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no java, no mvn on this PATH
    env = {"DETGRAPH_STATE_DIR": str(tmp_path / "state"), "DETGRAPH_CACHE_DIR": str(tmp_path / "cache"),
           "DETGRAPH_BOLT_PORT": str(_free_port()), "DETGRAPH_HTTP_PORT": str(_free_port())}
    result = CliRunner().invoke(cli, ["db", "start"], env=env)
    assert result.exit_code == 2
    assert "Java is not installed" in result.output


def test_cli_neo4j_failure_mid_command_is_one_line_exit_2(neo4j_settings) -> None:
    env = {"NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_PASSWORD": neo4j_settings.neo4j_password,
           "NEO4J_DATABASE": "nosuchdb"}  # reachable server, failing statement: a real server error
    result = CliRunner().invoke(cli, ["rule", "show", "x"], env=env)
    assert result.exit_code == 2
    assert result.output.startswith("error: Neo4j failed: ") and result.output.count("\n") == 1
    assert "nosuchdb" in result.output


def test_server_keeps_transaction_logs_bounded(driver: Driver) -> None:
    records = driver.execute_query(
        "SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value",
        names=["db.tx_log.rotation.retention_policy", "db.tx_log.rotation.size", "db.checkpoint",
               "db.checkpoint.interval.volume"]).records
    settings = {r["name"]: r["value"] for r in records}
    assert settings == {"db.tx_log.rotation.retention_policy": "1 files", "db.tx_log.rotation.size": "64.00MiB",
                        "db.checkpoint": "VOLUME", "db.checkpoint.interval.volume": "64.00MiB"}
