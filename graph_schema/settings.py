"""Settings: defaults, then `detgraph.toml`, then the environment (credentials come from the environment only)."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from graph_schema.errors import ConfigError
from loader.vendors import CORPORA

__all__ = ["Settings", "DEV_PASSWORD", "load_settings"]

DEV_PASSWORD = "detgraph-dev"  # local development default only; set NEO4J_PASSWORD anywhere else
CONFIG_FILE = "detgraph.toml"
CORPUS_KEYS = tuple(CORPORA)


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


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc}") from None


def load_settings(config_path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build settings from `detgraph.toml` (current folder, or `config_path`/$DETGRAPH_CONFIG) and env."""
    env = dict(os.environ if env is None else env)
    s = Settings()
    path = config_path or Path(env.get("DETGRAPH_CONFIG", CONFIG_FILE))
    if path.is_file():
        doc = _read_toml(path)
        base = path.resolve().parent
        s.corpora = {k: (base / v).resolve() for k, v in doc.get("corpora", {}).items() if k in CORPUS_KEYS}
        s.upstreams = {k: str(v) for k, v in doc.get("upstreams", {}).items()}
        server = doc.get("server", {})
        for key in ("bolt_port", "http_port"):
            if key in server:
                setattr(s, key, int(server[key]))
        for key in ("heap", "pagecache"):
            if key in server:
                setattr(s, key, str(server[key]))
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
            if not raw.isdigit():
                raise ConfigError(f"DETGRAPH_{key.upper()}={raw!r} is not a port number")
            setattr(s, key, int(raw))
    s.neo4j_uri = env.get("NEO4J_URI", f"bolt://127.0.0.1:{s.bolt_port}")
    s.neo4j_user = env.get("NEO4J_USER", s.neo4j_user)
    s.neo4j_password = env.get("NEO4J_PASSWORD", s.neo4j_password)
    s.neo4j_database = env.get("NEO4J_DATABASE", s.neo4j_database)
    return s
