"""The `detgraph` command line (click): the root group; each command group lives in api/commands/."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from api.clikit import DetgraphGroup
from api.commands.db import db
from api.commands.export import export
from api.commands.load import fetch_command, load
from api.commands.rule import rule
from api.commands.schema import schema
from graph_schema.errors import DetgraphError
from graph_schema.settings import load_settings

__all__ = ["cli", "main"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=DetgraphGroup, context_settings=CONTEXT)
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


for command in (db, schema, load, fetch_command, rule, export):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="detgraph")
