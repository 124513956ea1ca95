"""Shared pieces of the click CLI: the error-to-one-line group, lazy command loading, per-invocation settings.

Nothing here imports the Neo4j driver or a parser: `detgraph --help` must stay fast, so command modules
import what they need inside their command functions and the root group imports them by name on demand.
"""
from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

import click

from graph_schema.errors import DatabaseUnavailable, DetgraphError
from graph_schema.settings import Settings

__all__ = ["DetgraphGroup", "LazyGroup", "settings_of", "is_driver_error", "log_path"]


def is_driver_error(exc: BaseException) -> bool:
    """True for a Neo4j driver or server error (never imports the driver: no driver, no driver error)."""
    errors = sys.modules.get("neo4j.exceptions")
    return errors is not None and isinstance(exc, errors.Neo4jError | errors.DriverError)


def log_path(settings: Settings | None) -> str:
    """Where the details of a failure go (the driver's log lines, tracebacks): `<state dir>/logs/detgraph.log`."""
    state = settings.state_dir if settings is not None else os.path.join(os.getcwd(), ".detgraph")
    return os.path.join(state, "logs", "detgraph.log")


def _log_traceback(settings: Settings | None) -> str | None:
    """Append the current exception's traceback to the log; its path, or None when it cannot be written."""
    path = log_path(settings)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
    except OSError:
        return None
    return path


def _one_line(text: str) -> str:
    return " ".join(text.split())


class DetgraphGroup(click.Group):
    """A click group that turns every failure into one `error: ...` line and an exit code from the error tree.

    `DetgraphError` -> its message and `exit_code`; a Neo4j failure mid-command (stopped, timed out)
    -> exit 2; anything else (a bug) -> one line naming the log file that holds its traceback, exit 1
    (set DETGRAPH_DEBUG=1 to see the traceback instead).
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand, mapping its failure to one line and an exit code."""
        try:
            return super().invoke(ctx)
        except DetgraphError as exc:
            click.echo(f"error: {_one_line(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            if os.environ.get("DETGRAPH_DEBUG") == "1":
                raise
            settings = ctx.find_root().obj if isinstance(ctx.find_root().obj, Settings) else None
            where = _log_traceback(settings)
            details = f" (details in {where})" if where else ""
            if is_driver_error(exc):  # the database failed mid-command (stopped, timed out...)
                message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                click.echo(f"error: Neo4j failed: {_one_line(message)}{details}", err=True)
                sys.exit(DatabaseUnavailable.exit_code)
            if isinstance(exc, RecursionError | MemoryError):
                message = f"input nested too deeply or too large ({type(exc).__name__})"
            else:
                message = f"unexpected {type(exc).__name__}: {_one_line(str(exc))[:300]}"
            click.echo(f"error: {message}{details}", err=True)
            sys.exit(1)


class LazyGroup(DetgraphGroup):
    """A `DetgraphGroup` whose subcommands are `"module:attribute"` names, imported when first needed."""

    def __init__(self, *args: Any, lazy_commands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand name, loaded or not."""
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand, importing its module on first use."""
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, _, attribute = self.lazy_commands[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)


def settings_of(ctx: click.Context) -> Settings:
    """The settings loaded once for this invocation (by the root group)."""
    return ctx.find_root().obj
