"""`detgraph fields unmapped|show`: how vendor fields map to the canonical field set (saved queries)."""
from __future__ import annotations

import click

from api.clikit import DetgraphGroup, settings_of

__all__ = ["fields"]

VENDORS = click.Choice(["sigma", "elastic", "splunk"])
FORMATS = click.Choice(["table", "json", "csv", "md"])


def _print(ctx: click.Context, name: str, params: dict[str, object], fmt: str) -> None:
    from graph_schema.db import open_driver
    from graph_schema.errors import NotFound
    from queries.catalog import get_query, run
    from queries.formats import render

    query = get_query(name)
    values = query.bind(params)
    s = settings_of(ctx)
    with open_driver(s) as driver:
        result = run(driver, query, values, database=s.neo4j_database, bound=True)
    if not result.rows:
        raise NotFound(f"no canonical field {params['field']!r}; `detgraph query fields --param search=...` finds one"
                       if "field" in params else "no vendor field without a canonical mapping")
    click.echo(render(result, fmt).rstrip("\n"))


@click.group(cls=DetgraphGroup)
def fields() -> None:
    """Canonical fields (ECS 9.5 and documented extensions) and the vendor spellings that map to them.

    \b
    Example:
      detgraph fields unmapped --vendor splunk
    """


@fields.command("unmapped")
@click.option("--vendor", type=VENDORS, default=None, help="Only this vendor's fields.")
@click.option("--limit", default=50, show_default=True, help="How many, worst first.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
def fields_unmapped(ctx: click.Context, vendor: str | None, limit: int, fmt: str) -> None:
    """Vendor fields with no canonical mapping, by rule and predicate count, worst first (query fields_unmapped).

    \b
    Example:
      detgraph fields unmapped --vendor sigma --limit 20
    """
    _print(ctx, "fields_unmapped", {"vendor": vendor, "limit": limit}, fmt)


@fields.command("show")
@click.argument("name")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
def fields_show(ctx: click.Context, name: str, fmt: str) -> None:
    """One canonical field: its vendor spellings, rules per vendor, operators and top values (query field_view).

    \b
    Example:
      detgraph fields show process.name
    """
    _print(ctx, "field_view", {"field": name}, fmt)
