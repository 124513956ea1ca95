"""`detgraph fetch`: clone or update the upstream repositories into a cache and record their commits."""
from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from graph_schema.errors import ConfigError
from loader.vendors import CORPORA

__all__ = ["UPSTREAMS", "LOAD_PATHS", "FetchedRepo", "fetch"]

UPSTREAMS = {c.name: c.upstream for c in CORPORA.values()}
LOAD_PATHS = {c.name: c.load_path for c in CORPORA.values()}  # what `detgraph load` reads inside each checkout


@dataclass(frozen=True, slots=True)
class FetchedRepo:
    """One upstream checkout in the cache."""

    name: str
    url: str
    path: str  # the checkout
    load_path: str  # what `detgraph load` reads
    commit: str
    action: str  # cloned | updated


def _git(*args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["git failed"])[-1]
        raise ConfigError(f"git {args[0]} failed: {last}")
    return proc.stdout.strip()


def fetch(cache_dir: Path, names: list[str], urls: dict[str, str] | None = None) -> list[FetchedRepo]:
    """Clone (shallow) or fast-forward each named upstream under `cache_dir/corpora`; writes `fetch.json`."""
    urls = {**UPSTREAMS, **(urls or {})}
    root = cache_dir / "corpora"
    root.mkdir(parents=True, exist_ok=True)
    done = []
    for name in names:
        if name not in urls:
            raise ConfigError(f"unknown upstream {name!r}: choose from {', '.join(sorted(urls))}")
        dest = root / name
        if (dest / ".git").is_dir():
            _git("remote", "set-url", "origin", urls[name], cwd=dest)
            _git("fetch", "--depth", "1", "origin", "HEAD", cwd=dest)
            _git("reset", "--hard", "FETCH_HEAD", cwd=dest)
            action = "updated"
        else:
            _git("clone", "--depth", "1", urls[name], str(dest))
            action = "cloned"
        commit = _git("rev-parse", "HEAD", cwd=dest)
        done.append(FetchedRepo(name, urls[name], str(dest), str(dest / LOAD_PATHS.get(name, ".")), commit, action))
    record = root / "fetch.json"
    previous = json.loads(record.read_text()) if record.is_file() else {}
    previous.update({r.name: asdict(r) for r in done})
    record.write_text(json.dumps(previous, indent=2))
    return done
