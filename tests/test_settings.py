"""Settings validation (graph_schema/settings.py): a wrong type is one error naming the key; unknown keys warn."""
from __future__ import annotations

from pathlib import Path

import pytest

from graph_schema.errors import ConfigError
from graph_schema.settings import URI_SCHEMES, check_uri, load_settings
from loader.vendors import CORPORA


def settings_from(tmp_path: Path, text: str | bytes, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "detgraph.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return load_settings(path, env=env or {})


@pytest.mark.parametrize("text, message", [
    ('[server]\nbolt_port = "abc"\n', "[server] bolt_port must be a port number (1-65535), not 'abc'"),
    ("[server]\nbolt_port = 70000\n", "[server] bolt_port must be a port number (1-65535), not 70000"),
    ("[server]\nhttp_port = true\n", "[server] http_port must be a port number (1-65535), not True"),
    ('[server]\nheap = "1 GB"\n', "[server] heap must be a memory size such as 768m or 2g, not '1 GB'"),
    ("[server]\nstate_dir = 3\n", "[server] state_dir must be a non-empty string, not 3"),
    ("[corpora]\nsigma = 5\n", "[corpora] sigma must be a non-empty string, not 5"),
    ('[upstreams]\nelastic = ["a"]\n', "[upstreams] elastic must be a non-empty string, not ['a']"),
    ('corpora = "x"\n', "corpora must be a table ([corpora]), not 'x'"),
    ("server = 1\n", "server must be a table ([server]), not 1"),
])
def test_settings_wrong_type_is_one_config_error_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, text)
    assert str(caught.value) == f"{tmp_path / 'detgraph.toml'}: {message}"


@pytest.mark.parametrize("data, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not UTF-8 text (is it a TOML file?)"),
    (b"[corpora\n", "invalid TOML: "),
    (b"a = 1\na = 2\n", "invalid TOML: "),
])
def test_settings_unreadable_file_is_one_config_error(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, data)
    assert "cannot read settings: " + message in str(caught.value) and "\n" not in str(caught.value)


def test_settings_unknown_keys_warn_and_are_ignored(tmp_path: Path) -> None:
    s = settings_from(tmp_path, '[server]\nheapp = "2g"\nbolt_port = 7999\n[corpora]\nsigmaa = "x"\n[extra]\na = 1\n')
    path = tmp_path / "detgraph.toml"
    assert s.warnings == [
        f"{path}: unknown setting [server] heapp ignored (did you mean heap?)",
        f"{path}: unknown setting [corpora] sigmaa ignored (did you mean sigma?)",
        f"{path}: unknown setting [extra] ignored",
    ]
    assert s.bolt_port == 7999 and s.heap == "1g" and s.corpora == {}


def test_settings_every_registry_corpus_is_a_setting(tmp_path: Path) -> None:
    text = "[corpora]\n" + "".join(f'{name} = "c/{name}"\n' for name in CORPORA)
    s = settings_from(tmp_path, text)
    assert s.corpora == {name: tmp_path / "c" / name for name in CORPORA} and s.warnings == []
    env = {f"DETGRAPH_{name.upper()}": f"/e/{name}" for name in CORPORA}
    assert load_settings(tmp_path / "none.toml", env=env).corpora == {name: Path(f"/e/{name}") for name in CORPORA}


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "https://h", "ftp://h", "localhost:7687", "bolt:/x"])
def test_settings_unsupported_uri_names_the_schemes_that_work(uri: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(Path("/nonexistent"), env={"NEO4J_URI": uri})
    message = str(caught.value)
    assert message.startswith(f"NEO4J_URI={uri!r}")
    assert "bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, neo4j+ssc" in message or "names no host" in message


@pytest.mark.parametrize("uri", ["bolt://h:abc", "bolt://h:99999", "neo4j://h:0"])
def test_settings_bad_uri_port_is_config_error(uri: str) -> None:
    with pytest.raises(ConfigError, match="NEO4J_URI="):
        check_uri(uri)


@pytest.mark.parametrize("scheme", URI_SCHEMES)
def test_settings_supported_uri_schemes_pass(scheme: str) -> None:
    assert load_settings(Path("/nonexistent"), env={"NEO4J_URI": f"{scheme}://db:7687"}).neo4j_uri == \
        f"{scheme}://db:7687"


@pytest.mark.parametrize("raw", ["abc", "0", "65536", "²", "-1", " 7687"])
def test_settings_bad_port_environment_is_config_error(raw: str) -> None:
    with pytest.raises(ConfigError, match="is not a port number"):
        load_settings(Path("/nonexistent"), env={"DETGRAPH_BOLT_PORT": raw})
