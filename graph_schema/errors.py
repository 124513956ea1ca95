"""The error tree: one root, one subclass per concern; every error can name where it came from."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DetgraphError",
    "RuleLocation",
    "RuleParseError",
    "QuerySyntaxError",
    "UnknownModifier",
    "BadDraft",
    "BundleError",
    "ConfigError",
    "DatabaseUnavailable",
    "ServerError",
    "NotFound",
    "InvalidParameter",
    "CatalogError",
]


@dataclass(frozen=True, slots=True)
class RuleLocation:
    """A file (and line, when the parser knows it) that an error came from."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class DetgraphError(ValueError):
    """Root of every error detgraph raises on purpose; `exit_code` is what the CLI exits with."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, location: RuleLocation | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class RuleParseError(DetgraphError):
    """A rule file or its detection logic could not be read."""


class QuerySyntaxError(RuleParseError):
    """A query (KQL, EQL, ES|QL, Lucene, SPL) is not valid in its language."""


class UnknownModifier(RuleParseError):
    """A Sigma field modifier that detgraph does not know."""


class BadDraft(RuleParseError):
    """A draft given to `detgraph check` that is no rule of a supported format (empty, not YAML/TOML...)."""

    exit_code = 2
    http_status = 400


class BundleError(DetgraphError):
    """An ATT&CK STIX bundle that cannot be read."""

    exit_code = 2


class ConfigError(DetgraphError):
    """A setting, path or argument that is wrong; the message says what to do."""

    exit_code = 2
    http_status = 400


class DatabaseUnavailable(DetgraphError):
    """Neo4j cannot be reached or refuses our credentials."""

    exit_code = 2
    http_status = 503


class ServerError(DetgraphError):
    """The local Neo4j server cannot be installed, started or stopped."""

    exit_code = 2


class NotFound(DetgraphError):
    """A rule, technique, query or report that does not exist."""

    exit_code = 1
    http_status = 404


class InvalidParameter(ConfigError):
    """A query parameter (from the CLI or a request) that is missing, of the wrong type or out of range."""


class CatalogError(DetgraphError):
    """A saved query file of `queries/` that is malformed (the message names the file)."""

    exit_code = 2
