"""The CLI surface: every command has --help with an example; settings; fetch from a local git repository."""
from __future__ import annotations

import subprocess
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from api.cli import cli
from graph_schema.errors import ConfigError
from graph_schema.settings import load_settings
from loader.fetch import fetch
from tests.conftest import REPO_ROOT


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, (*prefix, name)))
    return out


@pytest.mark.parametrize("path", [(), *_commands(cli)], ids=lambda p: " ".join(p) or "detgraph")
def test_cli_every_command_has_help_with_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output and "detgraph" in result.output


def test_settings_from_toml_and_env(tmp_path: Path) -> None:
    (tmp_path / "detgraph.toml").write_text('[corpora]\nsigma = "rules/sigma"\n[server]\nbolt_port = 7999\n')
    s = load_settings(tmp_path / "detgraph.toml", env={"NEO4J_PASSWORD": "s3cret", "DETGRAPH_ELASTIC": "/x/el"})
    assert s.corpora == {"sigma": tmp_path / "rules" / "sigma", "elastic": Path("/x/el")}
    assert s.bolt_port == 7999 and s.neo4j_uri == "bolt://127.0.0.1:7999" and s.neo4j_password == "s3cret"


def test_settings_bad_toml_and_port_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "detgraph.toml").write_text("[corpora\n")
    with pytest.raises(ConfigError, match="detgraph.toml"):
        load_settings(tmp_path / "detgraph.toml", env={})
    with pytest.raises(ConfigError, match="not a port"):
        load_settings(tmp_path / "none.toml", env={"DETGRAPH_BOLT_PORT": "abc"})


def test_load_with_nothing_to_load_is_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "none.toml"), "load"])
    assert result.exit_code == 2 and "nothing to load" in result.output


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_fetch_clones_then_updates_local_repository(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream"
    (upstream / "rules").mkdir(parents=True)
    (upstream / "rules" / "a.yml").write_text("title: a\n")
    _git("init", "-q", "-b", "main", cwd=upstream)
    _git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "one", "--allow-empty", cwd=upstream)
    _git("add", ".", cwd=upstream)
    _git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "two", cwd=upstream)
    url = f"file://{upstream}"
    first = fetch(tmp_path / "cache", ["sigma"], {"sigma": url})
    assert first[0].action == "cloned" and first[0].commit == _git("rev-parse", "HEAD", cwd=upstream)
    (upstream / "rules" / "b.yml").write_text("title: b\n")
    _git("add", ".", cwd=upstream)
    _git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "three", cwd=upstream)
    second = fetch(tmp_path / "cache", ["sigma"], {"sigma": url})
    assert second[0].action == "updated" and second[0].commit == _git("rev-parse", "HEAD", cwd=upstream)
    assert (Path(second[0].path) / "rules" / "b.yml").is_file()
    assert '"commit"' in (tmp_path / "cache" / "corpora" / "fetch.json").read_text()


def test_fetch_bad_url_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="git clone failed"):
        fetch(tmp_path, ["sigma"], {"sigma": f"file://{tmp_path}/missing"})


def test_docker_compose_file_is_valid() -> None:
    doc = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    neo4j, loader = doc["services"]["neo4j"], doc["services"]["loader"]
    assert neo4j["image"] == "neo4j:5.26-community" and "healthcheck" in neo4j
    assert loader["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert set(doc["volumes"]) >= {"neo4j-data", "neo4j-logs"}
    assert "NEO4J_PASSWORD" in neo4j["environment"]["NEO4J_AUTH"]
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if probe.returncode == 0:  # the compose client exists here: let it validate too
        check = subprocess.run(["docker", "compose", "-f", str(REPO_ROOT / "docker-compose.yml"), "config", "-q"],
                               capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
