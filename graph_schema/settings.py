"""Settings: defaults, then `detgraph.toml`, then the environment (credentials come from the environment only).

The file is validated once, here: a value of the wrong type is a `ConfigError` naming the key; an unknown
section or key is ignored with a warning (`Settings.warnings`, printed by the CLI on stderr).
"""
from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from graph_schema.errors import ConfigError
from loader.vendors import CORPORA

__all__ = ["Settings", "DEV_PASSWORD", "CORPUS_KEYS", "URI_SCHEMES", "load_settings", "check_uri"]

DEV_PASSWORD = "detgraph-dev"  # local development default only; set NEO4J_PASSWORD anywhere else
CONFIG_FILE = "detgraph.toml"
CORPUS_KEYS = (*CORPORA, "ecs")  # ecs: the ECS flat schema, when not the Elastic corpus's copy
URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
_MEMORY = re.compile(r"\d+[kKmMgG]?")  # what both Neo4j and the JVM's -Xmx accept


@dataclass(slots=True)
class Settings:
    """Everything detgraph needs to know about where things are."""

    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: str = DEV_PASSWORD
    neo4j_database: str = "neo4j"
    state_dir: Path = field(default_factory=lambda: Path.cwd() / ".detgraph")
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "detgraph")
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "1g"
    pagecache: str = "512m"
    corpora: dict[str, Path] = field(default_factory=dict)  # vendor -> path, from [corpora] in detgraph.toml
    upstreams: dict[str, str] = field(default_factory=dict)  # vendor -> git URL, from [upstreams]
    warnings: list[str] = field(default_factory=list)  # unknown settings that were ignored, one line each


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise TypeError("a port number (1-65535)")
    return value


def _memory(value: Any) -> str:
    if not isinstance(value, str) or not _MEMORY.fullmatch(value):
        raise TypeError("a memory size such as 768m or 2g")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError("a non-empty string")
    return value


# section -> key -> check (returns the value, raises TypeError naming what it expected)
_FILE_SCHEMA: dict[str, dict[str, Callable[[Any], Any]]] = {
    "corpora": {name: _text for name in CORPORA},
    "upstreams": {name: _text for name in CORPORA},
    "server": {"bolt_port": _port, "http_port": _port, "heap": _memory, "pagecache": _memory,
               "state_dir": _text, "cache_dir": _text},
}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: cannot read settings: not UTF-8 text (is it a TOML file?)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: cannot read settings: invalid TOML: {exc}") from None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown(path: Path, name: str, known: list[str]) -> str:
    import difflib  # only when there is something to suggest

    close = difflib.get_close_matches(name.rsplit(" ", 1)[-1], known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{path}: unknown setting {name} ignored{hint}"


def _validated(doc: dict[str, Any], path: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The known settings of a parsed file, type-checked; and a warning for each unknown one."""
    checked: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    for section, table in doc.items():
        schema = _FILE_SCHEMA.get(section)
        if schema is None:
            warnings.append(_unknown(path, f"[{section}]", list(_FILE_SCHEMA)))
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {section} must be a table ([{section}]), not {_shown(table)}")
        checked[section] = {}
        for key, value in table.items():
            check = schema.get(key)
            if check is None:
                warnings.append(_unknown(path, f"[{section}] {key}", list(schema)))
                continue
            try:
                checked[section][key] = check(value)
            except TypeError as expected:
                raise ConfigError(f"{path}: [{section}] {key} must be {expected}, not {_shown(value)}") from None
    return checked, warnings


def check_uri(uri: str) -> str:
    """`uri` when the Neo4j driver can use it; a `ConfigError` saying which schemes work otherwise."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"NEO4J_URI={uri!r} is not a valid URI ({exc})") from None
    if parts.scheme not in URI_SCHEMES:
        raise ConfigError(f"NEO4J_URI={uri!r}: scheme {parts.scheme or '(none)'!r} is not supported; use one of "
                          f"{', '.join(URI_SCHEMES)} (e.g. bolt://127.0.0.1:7687)")
    if not parts.hostname:
        raise ConfigError(f"NEO4J_URI={uri!r} names no host (e.g. bolt://127.0.0.1:7687)")
    if port == 0:
        raise ConfigError(f"NEO4J_URI={uri!r}: port 0 is not a port number")
    return uri


def load_settings(config_path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build settings from `detgraph.toml` (current folder, or `config_path`/$DETGRAPH_CONFIG) and env."""
    env = dict(os.environ if env is None else env)
    s = Settings()
    path = config_path or Path(env.get("DETGRAPH_CONFIG", CONFIG_FILE))
    if path.is_file():
        doc, s.warnings = _validated(_read_toml(path), path)
        base = path.resolve().parent
        s.corpora = {k: (base / v).resolve() for k, v in doc.get("corpora", {}).items()}
        s.upstreams = dict(doc.get("upstreams", {}))
        server = doc.get("server", {})
        for key in ("bolt_port", "http_port", "heap", "pagecache"):
            if key in server:
                setattr(s, key, server[key])
        for key in ("state_dir", "cache_dir"):
            if key in server:
                setattr(s, key, (base / server[key]).resolve())
    for key in CORPUS_KEYS:
        if env.get(f"DETGRAPH_{key.upper()}"):
            s.corpora[key] = Path(env[f"DETGRAPH_{key.upper()}"]).resolve()
    if env.get("DETGRAPH_STATE_DIR"):
        s.state_dir = Path(env["DETGRAPH_STATE_DIR"]).resolve()
    if env.get("DETGRAPH_CACHE_DIR"):
        s.cache_dir = Path(env["DETGRAPH_CACHE_DIR"]).resolve()
    for key in ("bolt_port", "http_port"):
        raw = env.get(f"DETGRAPH_{key.upper()}")
        if raw:
            if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 65536:
                raise ConfigError(f"DETGRAPH_{key.upper()}={raw!r} is not a port number (1-65535)")
            setattr(s, key, int(raw))
    s.neo4j_uri = check_uri(env.get("NEO4J_URI") or f"bolt://127.0.0.1:{s.bolt_port}")
    s.neo4j_user = env.get("NEO4J_USER", s.neo4j_user)
    s.neo4j_password = env.get("NEO4J_PASSWORD", s.neo4j_password)
    s.neo4j_database = env.get("NEO4J_DATABASE", s.neo4j_database)
    return s
