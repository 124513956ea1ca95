"""The one Neo4j driver of an API process, and how a saved query runs for a request.

The driver is made on first use and never verified up front: the app starts while Neo4j is down, answers
503 while it stays down, and serves again as soon as it is back (the driver reconnects by itself). Every
query runs in a read transaction (`queries.catalog.run`: routing READ, so `neo4j://` spreads reads over a
cluster's readers) with the per-query timeout of the settings.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver
from neo4j.exceptions import ClientError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired, TransientError

from graph_schema.db import make_driver, unavailable
from graph_schema.errors import DatabaseUnavailable, InvalidParameter
from graph_schema.settings import Settings
from queries.catalog import NamedQuery, Result, get_query, run

__all__ = ["Graph", "DEFAULT_QUERY_TIMEOUT_S"]

DEFAULT_QUERY_TIMEOUT_S = 10.0
_CONNECT_TIMEOUT_S = 3.0  # a request waits at most this long for a server that is down


@dataclass
class Graph:
    """The process's driver (made lazily, shared by every request thread) and its query runner."""

    settings: Settings
    query_timeout: float = DEFAULT_QUERY_TIMEOUT_S
    _driver: Driver | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def driver(self) -> Driver:
        """The driver, made on first use (a bad `NEO4J_URI` is a `ConfigError` then)."""
        if self._driver is None:
            with self._lock:
                if self._driver is None:
                    self._driver = make_driver(self.settings, timeout=_CONNECT_TIMEOUT_S)
        return self._driver

    def run(self, query: NamedQuery | str, params: dict[str, Any] | None = None, *, bound: bool = False) -> Result:
        """Run a saved query (by name or itself) with validated `params`; Neo4j down -> `DatabaseUnavailable`."""
        named = get_query(query) if isinstance(query, str) else query
        values = params if bound and params is not None else named.bind(params)  # bad input fails before Neo4j
        with self.translated_errors():
            return run(self.driver, named, values, database=self.settings.neo4j_database,
                       timeout=self.query_timeout, bound=True)

    def ping(self) -> bool:
        """Whether Neo4j answers now."""
        try:
            with self.translated_errors():
                self.driver.verify_connectivity()
        except DatabaseUnavailable:
            return False
        return True

    def translated_errors(self) -> _Translate:
        """A context that turns the driver's "not reachable / timed out" failures into `DatabaseUnavailable`."""
        return _Translate(self.settings, self.query_timeout)

    def close(self) -> None:
        """Close the driver (the next request makes a new one)."""
        with self._lock:
            if self._driver is not None:
                self._driver.close()
                self._driver = None


@dataclass(frozen=True, slots=True)
class _Translate:
    settings: Settings
    timeout: float

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is None:
            return False
        if isinstance(exc, ClientError) and "TransactionTimedOut" in (exc.code or ""):
            raise DatabaseUnavailable(f"the query took longer than {self.timeout:g} s and was stopped; "
                                      "ask for fewer rows (a smaller limit)") from None
        if isinstance(exc, ClientError) and "queryparser" in (exc.message or ""):  # full-text search syntax
            raise InvalidParameter("the search text is not a valid full-text query (Lucene syntax: quote or drop "
                                   "characters such as ( ) [ ] { } : \" ~ ^ \\)") from None
        if isinstance(exc, ClientError) and "Security" in (exc.code or ""):
            raise DatabaseUnavailable(f"Neo4j at {self.settings.neo4j_uri} refused the API's credentials; "
                                      "set NEO4J_USER / NEO4J_PASSWORD") from None
        if isinstance(exc, ServiceUnavailable | SessionExpired | TransientError | OSError) or \
                (isinstance(exc, DriverError) and not isinstance(exc, Neo4jError)):
            raise unavailable(self.settings, type(exc).__name__) from None
        return False
