"""Benchmark the HTTP API and pages under concurrent clients, beside the driver alone: `python bench/bench_api.py
[CORPUS_ROOT] [--requests N] [--clients C]`.

The targets (issue 11), on the full-corpora graph with 4 concurrent clients: the T1059.001 technique page and
its API call p95 < 150 ms, rule detail p95 < 50 ms, and the API ÷ driver-alone overhead <= 1.5x for the same
query. In one run:
  graph    the benchmark Neo4j of bench/full_graph.py (ports 7689/7476 or $DETGRAPH_BENCH_BOLT_PORT / _HTTP_PORT),
           loaded on the first run, found unchanged later;
  servers  `detgraph serve` (gunicorn: 2 workers x 4 threads, as docker-compose runs it) twice, on free ports:
           with its answer cache off (DETGRAPH_RESPONSE_CACHE_MB=0: every request does the work) and on (the
           default: a repeated request is served from memory until the next load);
  clients  C threads (default 4), each with its own keep-alive HTTP session, N requests per scenario
           (default 200) after a warm-up of 2 per client;
  driver   the same saved queries through the driver alone from C threads (the rule: `rule_detail()`, its two
           queries and shaping, as the endpoint runs it): what the API adds is HTTP, Flask, validation, JSON.
Prints p50 / p95 / p99 in ms and requests per second per scenario, both servers, then API (cache off) ÷
driver at p50 and p95.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from neo4j import Driver

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.full_graph import DEFAULT_CORPORA, full_graph_settings, load_full_graph  # noqa: E402
from graph_schema.db import connect  # noqa: E402
from graph_schema.testing import throwaway_server  # noqa: E402
from queries.catalog import get_query, run  # noqa: E402
from queries.rule_detail import rule_detail  # noqa: E402

RULE = "sigma:a1b0ca4e-7835-413e-8471-3ff2b8a66be6"
SCENARIOS = (  # (name, path, the saved query and parameters the driver-alone run asks)
    ("technique page T1059.001", "/techniques/T1059.001", None),
    ("API technique guide T1059.001", "/api/v1/techniques/T1059.001", ("technique_guide", {"technique": "T1059.001"})),
    ("API rule detail", f"/api/v1/rules/{RULE}", ("rule_detail()", {"uid": RULE})),
    ("rule page", f"/rules/{RULE}", None),
    ("API techniques list", "/api/v1/techniques?limit=100", ("techniques", {"limit": 100})),
)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 of `samples` (seconds) in ms."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples) * 1000, cuts[94] * 1000, cuts[98] * 1000


def hammer(call: Callable[[], None], requests_total: int, clients: int) -> tuple[list[float], float]:
    """Run `call` `requests_total` times from `clients` threads: each call's seconds, and the wall time."""
    def worker(n: int) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            call()
            out.append(time.perf_counter() - t0)
        return out

    per_client = [requests_total // clients + (i < requests_total % clients) for i in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        samples = [s for part in pool.map(worker, per_client) for s in part]
    return samples, time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_api(settings_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """`detgraph serve` on a free port, once it answers /api/v1/health: the process and its port."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], cwd=REPO_ROOT,
                            env={**os.environ, **settings_env, "PYTHONPATH": str(REPO_ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return proc, port
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("detgraph serve did not answer within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("corpora", nargs="?", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--requests", type=int, default=200, help="requests per scenario (default 200)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    args = parser.parse_args()
    settings = full_graph_settings()
    with throwaway_server(settings, keep=True), connect(settings) as driver:
        load_full_graph(driver, args.corpora)
        env = {"NEO4J_URI": settings.neo4j_uri, "NEO4J_PASSWORD": settings.neo4j_password}
        servers = [start_api({**env, "DETGRAPH_RESPONSE_CACHE_MB": "0"}), start_api(env)]
        try:
            print(f"{args.clients} concurrent clients, {args.requests} requests per scenario "
                  f"(gunicorn 2 workers x 4 threads)")
            ratios = []
            labels = ("answer cache off: every request does the work",
                      "answer cache on (the default): repeated requests")
            for cached, ((_, port), label) in enumerate(zip(servers, labels, strict=True)):
                print(f"\n{label}\n{'scenario':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}")
                for name, path, driver_query in SCENARIOS:
                    p50, p95 = measure(name, http_get(port, path), args)
                    if driver_query is not None and not cached:
                        d50, d95 = measure(f"  driver alone: {driver_query[0]}", ask(driver, *driver_query), args)
                        ratios.append((name, p50 / d50, p95 / d95))
            print("\nAPI (cache off) ÷ driver alone (same saved queries, same concurrency):")
            for name, r50, r95 in ratios:
                print(f"  {name:<32} p50 {r50:4.2f}x   p95 {r95:4.2f}x")
        finally:
            for proc, _ in servers:
                proc.terminate()
                proc.wait(timeout=30)


def measure(name: str, call: Callable[[], None], args: argparse.Namespace) -> tuple[float, float]:
    """Warm up, then time `call` from the clients; prints one line, returns p50 and p95 in ms."""
    hammer(call, 2 * args.clients, args.clients)
    samples, wall = hammer(call, args.requests, args.clients)
    p50, p95, p99 = percentiles(samples)
    print(f"{name:<34}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{args.requests / wall:>9.1f}", flush=True)
    return p50, p95


_sessions = threading.local()


def http_get(port: int, path: str) -> Callable[[], None]:
    """A GET of `path` on a keep-alive session of the calling thread; anything but 200 stops the benchmark."""
    def call() -> None:
        session = getattr(_sessions, "session", None) or requests.Session()
        _sessions.session = session
        response = session.get(f"http://127.0.0.1:{port}{path}", timeout=30)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}: {response.text[:200]}")
    return call


def ask(driver: Driver, name: str, params: dict[str, object]) -> Callable[[], None]:
    """The driver alone: a saved query, or `rule_detail()` as the rule endpoint runs it."""
    if name == "rule_detail()":
        return lambda: rule_detail(driver, str(params["uid"])) and None
    query = get_query(name)
    return lambda: run(driver, query, params) and None


if __name__ == "__main__":
    main()
