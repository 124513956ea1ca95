"""Shared pieces of the click CLI: the error-to-one-line group and the per-invocation settings."""
from __future__ import annotations

import sys
from typing import Any

import click

from graph_schema.errors import DetgraphError
from graph_schema.settings import Settings

__all__ = ["DetgraphGroup", "settings_of"]


class DetgraphGroup(click.Group):
    """A click group that turns every `DetgraphError` into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; a `DetgraphError` becomes `error: ...` and its exit code."""
        try:
            return super().invoke(ctx)
        except DetgraphError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


def settings_of(ctx: click.Context) -> Settings:
    """The settings loaded once for this invocation (by the root group)."""
    return ctx.find_root().obj
