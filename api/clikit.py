"""Shared pieces of the click CLI: the error-to-one-line group and the per-invocation settings."""
from __future__ import annotations

import sys
from typing import Any

import click
from neo4j.exceptions import DriverError, Neo4jError

from graph_schema.errors import DatabaseUnavailable, DetgraphError
from graph_schema.settings import Settings

__all__ = ["DetgraphGroup", "settings_of"]


class DetgraphGroup(click.Group):
    """A click group that turns every `DetgraphError` (and a Neo4j failure) into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; a `DetgraphError` becomes `error: ...` and its exit code."""
        try:
            return super().invoke(ctx)
        except DetgraphError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (Neo4jError, DriverError) as exc:  # the database failed mid-command (stopped, timed out...)
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            click.echo(f"error: Neo4j failed: {' '.join(message.split())}", err=True)
            sys.exit(DatabaseUnavailable.exit_code)


def settings_of(ctx: click.Context) -> Settings:
    """The settings loaded once for this invocation (by the root group)."""
    return ctx.find_root().obj
