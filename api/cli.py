"""The `detgraph` command line (click): the root group; each command group lives in api/commands/.

Command modules are imported by name when a command runs (or `--help` lists them), and import the driver
and parsers inside their functions: `detgraph --help` never loads Neo4j, pySigma, eql or lark.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from api.clikit import LazyGroup
from graph_schema.errors import DetgraphError
from graph_schema.settings import load_settings

__all__ = ["cli", "main", "COMMANDS"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
COMMANDS = {
    "db": "api.commands.db:db",
    "schema": "api.commands.schema:schema",
    "load": "api.commands.load:load",
    "fetch": "api.commands.load:fetch_command",
    "rule": "api.commands.rule:rule",
    "fields": "api.commands.fields:fields",
    "reports": "api.commands.query:reports",
    "query": "api.commands.query:query",
    "export": "api.commands.export:export",
    "check": "api.commands.check:check",
    "serve": "api.commands.serve:serve",
}
"""command name -> "module:attribute" of its click command."""


@click.group(cls=LazyGroup, context_settings=CONTEXT, lazy_commands=COMMANDS)
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Settings file (default: ./detgraph.toml or $DETGRAPH_CONFIG).")
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """detgraph: a graph knowledge base of detection rules (Sigma, Elastic, Splunk) on MITRE ATT&CK.

    \b
    Example:
      detgraph db start && detgraph load --attack ../shared/corpora/attack/enterprise-attack.json.gz
    """
    try:
        ctx.obj = load_settings(config)
    except DetgraphError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    for warning in ctx.obj.warnings:
        click.echo(f"warning: {warning}", err=True)


def main() -> None:
    """Console-script entry point: a usage error is one `error:` line too (exit 2), as every other failure."""
    try:
        code = cli.main(prog_name="detgraph", standalone_mode=False)
    except click.ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        click.echo(f"error: {' '.join(exc.format_message().split())}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
