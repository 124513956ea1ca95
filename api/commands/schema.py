"""`detgraph schema apply`: constraints, indexes, schema version."""
from __future__ import annotations

import click

from api.clikit import DetgraphGroup, settings_of


@click.group(cls=DetgraphGroup)
def schema() -> None:
    """Constraints, indexes and the schema version.

    \b
    Example:
      detgraph schema apply
    """


@schema.command("apply")
@click.pass_context
def schema_apply(ctx: click.Context) -> None:
    """Create every constraint and index (idempotent).

    \b
    Example:
      detgraph schema apply
    """
    from graph_schema.db import open_driver
    from graph_schema.schema import apply_schema

    s = settings_of(ctx)
    with open_driver(s) as driver:
        stmts = apply_schema(driver, s.neo4j_database)
    click.echo(f"schema applied: {len(stmts)} constraints and indexes")


