"""The CLI surface: every command has --help with an example; settings; fetch from a local git repository."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from api.cli import COMMANDS, cli
from graph_schema.errors import ConfigError
from graph_schema.settings import load_settings
from loader.fetch import fetch
from tests.conftest import REPO_ROOT


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
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


HEAVY = ("neo4j", "sigma", "eql", "lark", "tomli", "networkx", "yaml", "loader.pipeline")


def _imported_by(*argv: str) -> set[str]:
    """Top-level modules (and loader.pipeline) a fresh `detgraph ARGV` process imports."""
    code = ("import sys\nfrom api.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code, *argv], cwd=REPO_ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("argv", [("--help",), ("load", "--help"), ("db", "--help"), ("rule", "show", "--help")])
def test_cli_help_imports_no_driver_and_no_parser(argv: tuple[str, ...]) -> None:
    modules = _imported_by(*argv)
    assert "api.cli" in modules
    assert not {m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY}


def test_cli_lazy_group_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert all(f"  {name} " in result.output for name in COMMANDS)
    assert set(cli.list_commands(click.Context(cli))) == set(COMMANDS)


def _group_running(failure: BaseException, tmp_path: Path) -> click.Group:
    from api.clikit import DetgraphGroup
    from graph_schema.settings import Settings

    @click.group(cls=DetgraphGroup)
    @click.pass_context
    def root(ctx: click.Context) -> None:
        ctx.obj = Settings(state_dir=tmp_path)

    @root.command()
    def boom() -> None:
        raise failure

    return root


@pytest.mark.parametrize("failure, code, line", [
    (ConfigError("bad thing\nacross lines"), 2, "error: bad thing across lines"),
    (RecursionError("maximum recursion depth exceeded"), 1, "error: input nested too deeply or too large"),
    (KeyError("x"), 1, "error: unexpected KeyError: 'x'"),
])
def test_cli_failure_is_one_line_with_exit_code(tmp_path: Path, failure: BaseException, code: int, line: str) -> None:
    result = CliRunner().invoke(_group_running(failure, tmp_path), ["boom"])
    assert result.exit_code == code
    assert result.output.startswith(line) and result.output.count("\n") == 1 and "Traceback" not in result.output
    if not isinstance(failure, ConfigError):  # a bug: its traceback is in the log the line names
        assert f"(details in {tmp_path}/logs/detgraph.log)" in result.output
        assert "Traceback" in (tmp_path / "logs" / "detgraph.log").read_text()


def test_cli_driver_error_is_one_line_exit_2(tmp_path: Path) -> None:
    from neo4j.exceptions import ServiceUnavailable

    result = CliRunner().invoke(_group_running(ServiceUnavailable("Connection to 127.0.0.1:7 lost"), tmp_path),
                                ["boom"])
    assert result.exit_code == 2
    assert result.output.startswith("error: Neo4j failed: Connection to 127.0.0.1:7 lost (details in ")


def _detgraph(tmp_path: Path, args: list[str], toml: bytes | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`detgraph ARGS` in a fresh process, in `tmp_path` (with `toml` as its detgraph.toml)."""
    if toml is not None:
        (tmp_path / "detgraph.toml").write_bytes(toml)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "DETGRAPH_"))}
    full_env = {**clean, "PYTHONPATH": str(REPO_ROOT), "DETGRAPH_STATE_DIR": str(tmp_path / "state"),
                "NEO4J_URI": "bolt://127.0.0.1:1", **(env or {})}  # nothing listens on port 1
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=tmp_path, env=full_env, capture_output=True,
                          text=True, timeout=120, check=False)


FUZZ = [  # (detgraph.toml, environment, arguments, what the one line says)
    (b'[server]\nbolt_port = "abc"\n', {}, ["db", "status"], "[server] bolt_port must be a port number"),
    (b"[server]\nheap = 1\n", {}, ["db", "start"], "[server] heap must be a memory size"),
    (b"[corpora]\nsigma = 5\n", {}, ["load"], "[corpora] sigma must be a non-empty string, not 5"),
    (b'corpora = "x"\n', {}, ["load"], "corpora must be a table ([corpora])"),
    (b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary", {}, ["db", "status"], "not UTF-8 text"),
    (b"[server\n", {}, ["rule", "show", "x"], "invalid TOML"),
    (None, {"NEO4J_URI": "http://127.0.0.1:7474"}, ["rule", "show", "x"],
     "use one of bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, neo4j+ssc"),
    (None, {"NEO4J_URI": "bolt://h:abc"}, ["schema", "apply"], "NEO4J_URI='bolt://h:abc' is not a valid URI"),
    (None, {"NEO4J_URI": "localhost"}, ["export", "-o", "x.graphml"], "scheme '(none)' is not supported"),
    (None, {}, ["rule", "show", "x"], "Neo4j is not reachable at bolt://127.0.0.1:1"),
    (None, {}, ["db", "fingerprint"], "Neo4j is not reachable"),
    (None, {"DETGRAPH_BOLT_PORT": "abc"}, ["db", "status"], "DETGRAPH_BOLT_PORT='abc' is not a port number"),
    (None, {"DETGRAPH_HTTP_PORT": "99999"}, ["db", "status"], "is not a port number"),
    (None, {}, ["rule", "show", ""], "empty rule id"),
    (None, {}, ["rule", "show", "  "], "empty rule id"),
    (None, {}, ["rule", "show", "x" * 5000], "a rule id of 5,000 characters is no rule id"),
    (None, {}, ["rule", "show", "sigma:\x01\x1b[31m"], "contains control characters"),
    (None, {}, ["load", "--sigma", "/no/such/corpus"], "Path '/no/such/corpus' does not exist"),
    (None, {}, ["load", "--elastic", "."], "Neo4j is not reachable"),
    (None, {}, ["load", "--bogus"], "No such option '--bogus'"),
    (None, {}, ["no-such-command"], "No such command 'no-such-command'"),
    (None, {}, ["fetch", "nosuch"], "Invalid value for"),
    (None, {}, ["export", "graph", "--format", "pdf", "-o", "x"], "Invalid value for '--format'"),
    (None, {"DETGRAPH_CONFIG": "/no/such/dir/"}, ["load"], "nothing to load"),
]


@pytest.mark.parametrize("toml, env, args, says", FUZZ, ids=[" ".join(case[2])[:40] or "-" for case in FUZZ])
def test_cli_fuzz_bad_input_is_one_line_exit_2(tmp_path: Path, toml: bytes | None, env: dict[str, str],
                                               args: list[str], says: str) -> None:
    result = _detgraph(tmp_path, args, toml, env)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and says in line


def test_cli_fuzz_unknown_setting_is_one_warning_line(tmp_path: Path) -> None:
    result = _detgraph(tmp_path, ["load", "--help"], b'[server]\nheapp = "2g"\n')
    assert result.returncode == 0 and "Usage:" in result.stdout
    assert result.stderr.splitlines() == [
        "warning: detgraph.toml: unknown setting [server] heapp ignored (did you mean heap?)"]
