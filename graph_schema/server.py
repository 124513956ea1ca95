"""A real local Neo4j 5.26 Community server without Docker.

`install` resolves the server jars and Neo4j Browser from Maven Central with Maven into a cache
(first run downloads, later runs reuse); `start` writes `neo4j.conf` into the state directory, runs
`org.neo4j.server.CommunityEntryPoint` in the background, waits for Bolt, and sets the password
from the environment on first start; `stop` stops only the server it started (by its pid).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from graph_schema.errors import ServerError
from graph_schema.settings import Settings

__all__ = ["NEO4J_VERSION", "BROWSER_VERSION", "ServerStatus", "LocalServer"]

NEO4J_VERSION = "5.26.30"
BROWSER_VERSION = "5.24.0"  # the newest Neo4j Browser on Maven Central for the 5.x line
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
STARTUP_TIMEOUT_S = 180.0

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>detgraph</groupId><artifactId>neo4j-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.neo4j</groupId><artifactId>neo4j</artifactId><version>{neo4j}</version></dependency>
    <dependency><groupId>org.neo4j.app</groupId><artifactId>neo4j-server</artifactId><version>{neo4j}</version></dependency>
    <dependency><groupId>org.neo4j.client</groupId><artifactId>neo4j-browser</artifactId><version>{browser}</version></dependency>
  </dependencies>
</project>
"""

CONF = """# Written by `detgraph db start`; edit detgraph.toml [server] instead.
server.default_listen_address=127.0.0.1
server.bolt.listen_address=127.0.0.1:{bolt_port}
server.bolt.advertised_address=127.0.0.1:{bolt_port}
server.http.listen_address=127.0.0.1:{http_port}
server.http.advertised_address=127.0.0.1:{http_port}
server.https.enabled=false
server.directories.data={state}/data
server.directories.logs={state}/logs
server.directories.plugins={state}/plugins
server.directories.import={state}/import
server.directories.run={state}/run
server.memory.heap.initial_size={heap}
server.memory.heap.max_size={heap}
server.memory.pagecache.size={pagecache}
server.jvm.additional=-XX:+UseG1GC
dbms.security.auth_enabled=true
dbms.usage_report.enabled=false
db.transaction.timeout=300s
browser.remote_content_hostname_whitelist=localhost,127.0.0.1
# Transaction logs: a knowledge base reloaded from its corpora needs no history beyond crash recovery.
# Keep one rotated 64 MiB file behind the last checkpoint, and checkpoint every 64 MiB of log so old files go
# (Neo4j's defaults, 2 days of 256 MiB files checkpointed every 15 minutes, let 5 reloads take 0.6 GB).
db.tx_log.rotation.size=64M
db.tx_log.rotation.retention_policy=1 files
db.checkpoint=VOLUME
db.checkpoint.interval.volume=64m
"""


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """What `detgraph db status` reports."""

    running: bool
    pid: int | None
    version: str | None
    bolt_url: str
    browser_url: str

    def describe(self) -> str:
        """One line for a person."""
        if not self.running:
            return "Neo4j is stopped"
        return (
            f"Neo4j {self.version or '?'} is running (pid {self.pid}): "
            f"Bolt {self.bolt_url}, Browser {self.browser_url}"
        )


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still answers kill(0); look at its state
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def _reap(pid: int) -> None:
    """Collect the exit status of a server this process spawned (no-op for another process's child)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


class LocalServer:
    """The project's own Neo4j server, with jars in `cache_dir` and data/logs in `state_dir`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = settings.state_dir / "neo4j"
        self.runtime = settings.cache_dir / f"neo4j-{NEO4J_VERSION}"
        self.lib = self.runtime / "lib"
        self.pid_file = self.state / "run" / "detgraph-neo4j.pid"
        self.console_log = self.state / "logs" / "console.log"

    @property
    def bolt_url(self) -> str:
        """Where the driver connects."""
        return f"bolt://127.0.0.1:{self.settings.bolt_port}"

    @property
    def browser_url(self) -> str:
        """Where a person opens Neo4j Browser."""
        return f"http://127.0.0.1:{self.settings.http_port}/browser/"

    # -- install -----------------------------------------------------------------------------------
    def installed(self) -> bool:
        """True when the jars are in the cache."""
        return (self.runtime / ".complete").is_file()

    def install(self) -> Path:
        """Resolve the server jars with Maven into the cache (no-op when already there)."""
        if self.installed():
            return self.lib
        if shutil.which("mvn") is None:
            raise ServerError("Maven (mvn) is not installed: install it (e.g. `apt-get install maven`)")
        self._require_java()
        self.runtime.mkdir(parents=True, exist_ok=True)
        (self.runtime / "pom.xml").write_text(POM.format(neo4j=NEO4J_VERSION, browser=BROWSER_VERSION))
        cmd = ["mvn", "-q", "-B", "-f", str(self.runtime / "pom.xml"), "dependency:copy-dependencies",
               f"-DoutputDirectory={self.lib}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            errors = [ln for ln in proc.stdout.splitlines() if "ERROR" in ln][:1]
            raise ServerError(f"Maven could not fetch Neo4j {NEO4J_VERSION}: {' '.join(errors) or proc.stderr[-300:]}")
        (self.runtime / ".complete").write_text(NEO4J_VERSION)
        return self.lib

    @staticmethod
    def _require_java() -> str:
        java = shutil.which("java")
        if java is None:
            raise ServerError("Java is not installed: install a JDK 17 or 21 "
                              "(e.g. `apt-get install openjdk-17-jre-headless`)")
        return java

    # -- lifecycle ---------------------------------------------------------------------------------
    def pid(self) -> int | None:
        """The pid of the server this project started, if it is still alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def start(self, *, timeout: float = STARTUP_TIMEOUT_S) -> ServerStatus:
        """Start the server (harmless when it already runs); returns its status once Bolt answers."""
        if self.pid() is not None:
            self._wait_ready(timeout)
            return self.status(patience=30)
        for port in (self.settings.bolt_port, self.settings.http_port):
            if _port_open(port):
                raise ServerError(
                    f"port {port} on 127.0.0.1 is taken by another process: stop it, or set "
                    "DETGRAPH_BOLT_PORT / DETGRAPH_HTTP_PORT (and NEO4J_URI) to free ports"
                )
        java = self._require_java()
        self.install()
        conf_dir = self.state / "conf"
        for sub in ("conf", "data", "logs", "plugins", "import", "run"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        s = self.settings
        (conf_dir / "neo4j.conf").write_text(
            CONF.format(bolt_port=s.bolt_port, http_port=s.http_port, state=self.state,
                        heap=s.heap, pagecache=s.pagecache)
        )
        cmd = [java, f"-Xms{s.heap}", f"-Xmx{s.heap}", "-XX:+UseG1GC", "-Dfile.encoding=UTF-8",
               "-cp", f"{self.lib}/*", ENTRY_POINT, f"--home-dir={self.state}", f"--config-dir={conf_dir}"]
        log_fd = os.open(self.console_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:  # its own session: the server outlives this command, and no Popen object waits on it
            pid = os.posix_spawn(java, cmd, dict(os.environ), setsid=True, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log_fd, 1),
                (os.POSIX_SPAWN_DUP2, log_fd, 2),
            ])
        finally:
            os.close(log_fd)
        self.pid_file.write_text(str(pid))
        self._wait_ready(timeout, pid)
        self._ensure_password()
        return self.status(patience=30)

    def _wait_ready(self, timeout: float, pid: int | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pid is not None and not _pid_alive(pid):
                _reap(pid)
                self.pid_file.unlink(missing_ok=True)
                raise ServerError(f"Neo4j exited during start-up; see {self.console_log}: {self._last_log_line()}")
            if _port_open(self.settings.bolt_port) and _port_open(self.settings.http_port):
                return
            time.sleep(0.3)
        raise ServerError(f"Neo4j did not open Bolt within {timeout:.0f}s; see {self.console_log}")

    def _last_log_line(self) -> str:
        try:
            lines = [ln for ln in self.console_log.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return ""
        errors = [ln for ln in lines if "ERROR" in ln or "Exception" in ln]
        return (errors or lines or [""])[-1][-300:]

    def _ensure_password(self) -> None:
        """On first start Neo4j's user `neo4j` has password `neo4j`; set it to the configured one."""
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

        s = self.settings
        deadline = time.monotonic() + 60
        while True:
            try:
                with GraphDatabase.driver(self.bolt_url, auth=(s.neo4j_user, s.neo4j_password)) as drv:
                    drv.verify_connectivity()
                return
            except AuthError:
                break
            except ServiceUnavailable:
                if time.monotonic() > deadline:
                    raise ServerError(f"Neo4j opened its ports but Bolt does not answer; see {self.console_log}"
                                      ) from None
                time.sleep(0.5)
        try:
            with GraphDatabase.driver(self.bolt_url, auth=("neo4j", "neo4j")) as drv, \
                    drv.session(database="system") as ses:
                ses.run("ALTER CURRENT USER SET PASSWORD FROM 'neo4j' TO $pw", pw=s.neo4j_password).consume()
        except (AuthError, Neo4jError) as exc:
            raise ServerError(
                f"Neo4j refused user {s.neo4j_user!r} with NEO4J_PASSWORD and the initial password is already"
                f" changed ({type(exc).__name__}); use the password this database was first started with,"
                f" or remove {self.state / 'data'} to start empty"
            ) from None

    def stop(self, *, timeout: float = 60.0) -> bool:
        """Stop the server this project started; False when none was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self, *, patience: float = 0.0) -> ServerStatus:
        """Running or stopped, with the version the HTTP endpoint reports (retried for `patience` seconds)."""
        import urllib.request

        pid = self.pid()
        version = None
        deadline = time.monotonic() + patience
        while pid is not None and version is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.settings.http_port}/", timeout=5) as resp:
                    version = json.load(resp).get("neo4j_version")
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        return ServerStatus(pid is not None, pid, version, self.bolt_url, self.browser_url)
