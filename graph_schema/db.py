"""Connecting to Neo4j with the official driver: fail fast, one clear line when it is not there."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import neo4j
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable

from graph_schema.errors import DatabaseUnavailable
from graph_schema.settings import Settings

__all__ = ["connect", "open_driver", "unavailable"]


def unavailable(settings: Settings, reason: str) -> DatabaseUnavailable:
    """The one-line error every command gives when Neo4j cannot be used."""
    return DatabaseUnavailable(
        f"Neo4j is not reachable at {settings.neo4j_uri} ({reason}); start it with `detgraph db start`"
    )


def connect(settings: Settings, *, timeout: float = 5.0) -> Driver:
    """A driver that has proven it can talk to the database (raises `DatabaseUnavailable`)."""
    driver = GraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password),
        connection_timeout=timeout,
        max_transaction_retry_time=timeout,
        notifications_min_severity="OFF",
    )
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
