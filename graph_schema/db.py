"""Connecting to Neo4j with the official driver: fail fast, one clear line when it is not there.

The driver logs its retries and connection failures (several warnings per failed transaction); those go
to `<state dir>/logs/detgraph.log`, never to the terminal, so a user sees only the one `error:` line.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import neo4j
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, ConfigurationError, DriverError, Neo4jError, ServiceUnavailable

from graph_schema.errors import ConfigError, DatabaseUnavailable
from graph_schema.settings import Settings

__all__ = ["make_driver", "connect", "open_driver", "unavailable", "driver_log"]


class _LogFile(logging.FileHandler):
    """A log file opened on the first record (its folder made then); a failure to write it is silent."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def _open(self):  # type: ignore[no-untyped-def]
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802  (logging's name)
        """An unwritable log file must not print a traceback on the terminal."""


def driver_log(settings: Settings) -> Path:
    """Send the driver's log records to `<state dir>/logs/detgraph.log` instead of stderr; returns the path."""
    path = (settings.state_dir / "logs" / "detgraph.log").resolve()
    logger = logging.getLogger("neo4j")
    logger.propagate = False  # Python's last-resort handler would print WARNINGs (the retry lines) on stderr
    for handler in list(logger.handlers):
        if isinstance(handler, _LogFile):
            if handler.baseFilename == str(path):
                return path
            logger.removeHandler(handler)
            handler.close()
    logger.addHandler(_LogFile(path))
    return path


def unavailable(settings: Settings, reason: str) -> DatabaseUnavailable:
    """The one-line error every command gives when Neo4j cannot be used."""
    return DatabaseUnavailable(
        f"Neo4j is not reachable at {settings.neo4j_uri} ({reason}); start it with `detgraph db start`"
    )


def make_driver(settings: Settings, *, timeout: float = 5.0) -> Driver:
    """A driver for `settings.neo4j_uri` (any scheme the driver accepts: `bolt://`, `neo4j://` routing...),
    not yet connected: it connects on first use and reconnects by itself when the server comes back."""
    driver_log(settings)
    try:
        return GraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, settings.neo4j_password),
            connection_timeout=timeout,
            max_transaction_retry_time=timeout,
            notifications_min_severity="OFF",
        )
    except (ConfigurationError, ValueError, ImportError) as exc:
        raise ConfigError(f"NEO4J_URI={settings.neo4j_uri!r} cannot be used: {' '.join(str(exc).split())}") from None


def connect(settings: Settings, *, timeout: float = 5.0) -> Driver:
    """A driver that has proven it can talk to the database (raises `DatabaseUnavailable`)."""
    driver = make_driver(settings, timeout=timeout)
    try:
        driver.verify_connectivity()
    except AuthError as exc:
        driver.close()
        raise DatabaseUnavailable(
            f"Neo4j at {settings.neo4j_uri} refused the credentials of user {settings.neo4j_user!r}"
            f" ({exc.message}); set NEO4J_USER / NEO4J_PASSWORD"
        ) from None
    except (ServiceUnavailable, DriverError, Neo4jError, OSError) as exc:
        driver.close()
        raise unavailable(settings, type(exc).__name__) from None
    return driver


@contextmanager
def open_driver(settings: Settings) -> Iterator[neo4j.Driver]:
    """`connect` as a context manager that closes the driver."""
    driver = connect(settings)
    try:
        yield driver
    finally:
        driver.close()
