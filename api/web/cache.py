"""Answers kept between requests, for as long as the graph does not change.

The graph changes only when a load runs, and every load sets a new `Meta {key: 'graph'}.generation`
(loader/writer.py `new_generation`). A GET answer (JSON or page, status 200) is kept under the generation
and the request's path and query string; the generation is read again at most once a second (saved query
`graph_generation`), so a load's answers replace the old ones within a second of it. Bounded in bytes
(least recently used out first); `DETGRAPH_RESPONSE_CACHE_MB=0` turns it off (the benchmark's "work" runs).
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, g, request

from api.web.graph import Graph
from graph_schema.errors import ConfigError

__all__ = ["ResponseCache", "install_cache", "cache_megabytes"]

_KEPT_HEADERS = ("ETag", "Cache-Control", "Content-Disposition", "Access-Control-Allow-Origin")
_NEVER = ("/api/v1/health",)


def cache_megabytes() -> int:
    """$DETGRAPH_RESPONSE_CACHE_MB (default 64; 0 turns the cache off)."""
    raw = os.environ.get("DETGRAPH_RESPONSE_CACHE_MB", "").strip() or "64"
    if not raw.isdigit() or int(raw) > 16384:
        raise ConfigError(f"DETGRAPH_RESPONSE_CACHE_MB={raw!r} must be a whole number of MiB (0 turns it off)")
    return int(raw)


@dataclass
class _Entry:
    body: bytes
    mimetype: str
    headers: dict[str, str]


@dataclass
class ResponseCache:
    """Answers by (generation, path with query string), least recently used dropped past `max_bytes`."""

    graph: Graph
    max_bytes: int
    recheck_s: float = 1.0
    _entries: OrderedDict[tuple[str, str], _Entry] = field(default_factory=OrderedDict, init=False)
    _bytes: int = field(default=0, init=False)
    _generation: str = field(default="", init=False)
    _checked_at: float = field(default=-1e9, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def generation(self) -> str:
        """The graph's generation, read at most once per `recheck_s` (Neo4j down: `DatabaseUnavailable`)."""
        now = time.monotonic()
        if now - self._checked_at >= self.recheck_s:
            rows = self.graph.run("graph_generation").rows
            self._generation = str(rows[0]["generation"]) if rows else ""
            self._checked_at = now
        return self._generation

    def get(self, key: tuple[str, str]) -> _Entry | None:
        """The kept answer for `key`, if any."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[str, str], entry: _Entry) -> None:
        """Keep `entry` (answers of an older generation go first, then the least recently used)."""
        size = len(entry.body)
        if size > self.max_bytes // 4:
            return
        with self._lock:
            for old in [k for k in self._entries if k[0] != key[0]]:
                self._bytes -= len(self._entries.pop(old).body)
            if key in self._entries:
                self._bytes -= len(self._entries.pop(key).body)
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)


def _cache() -> ResponseCache | None:
    return current_app.extensions.get("detgraph.cache")


def _serve_kept() -> Response | None:
    cache = _cache()
    if cache is None or request.method not in ("GET", "HEAD") or request.path in _NEVER:
        return None
    key = (cache.generation(), request.full_path)
    g.detgraph_cache_key = key
    entry = cache.get(key)
    if entry is None:
        return None
    response = current_app.response_class(entry.body, mimetype=entry.mimetype, headers=entry.headers)
    response.headers["X-Detgraph-Cache"] = "hit"
    return response.make_conditional(request)


def _keep(response: Response) -> Response:
    cache, key = _cache(), g.get("detgraph_cache_key")
    if cache is not None and key is not None and response.status_code == 200 and not response.direct_passthrough \
            and "X-Detgraph-Cache" not in response.headers:
        if "ETag" not in response.headers:  # pages too: a kept answer is revalidated by its ETag
            response.add_etag()
            response.make_conditional(request)
        headers = {h: response.headers[h] for h in _KEPT_HEADERS if h in response.headers}
        cache.put(key, _Entry(response.get_data(), response.mimetype or "application/octet-stream", headers))
    return response


def install_cache(app: Flask, graph: Graph) -> None:
    """Serve kept answers before the views run, keep new ones after (nothing when the size is 0)."""
    megabytes = cache_megabytes()
    if not megabytes:
        return
    app.extensions["detgraph.cache"] = ResponseCache(graph, megabytes * 1024 * 1024)
    app.before_request(_serve_kept)
    app.after_request(_keep)
