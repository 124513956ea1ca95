"""`detgraph reports` and `detgraph query NAME`: the saved questions of the query catalog (queries/*.cypher)."""
from __future__ import annotations

import click

from api.clikit import settings_of

__all__ = ["reports", "query"]

FORMAT_CHOICES = ("table", "json", "csv", "md")


@click.command()
@click.option("--category", help="Only this category (e.g. Techniques).")
def reports(category: str | None) -> None:
    """List the saved queries by category, with their parameters.

    \b
    Example:
      detgraph reports --category Techniques
    """
    from queries.catalog import load_catalog

    by_category: dict[str, list] = {}
    for q in load_catalog().values():
        if category is None or q.category.lower() == category.lower():
            by_category.setdefault(q.category, []).append(q)
    if not by_category:
        raise click.UsageError(f"no saved query in category {category!r}")
    for cat in sorted(by_category):
        click.echo(cat)
        for q in sorted(by_category[cat], key=lambda q: q.name):
            params = " ".join(f"{p.name}={p.example}" for p in q.parameters)
            click.echo(f"  {q.name:<28} {q.title}")
            if params:
                click.echo(f"  {'':<28} e.g. --param " + " --param ".join(params.split(" ")))


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        out[name.strip()] = value
    return out


@click.command()
@click.argument("name")
@click.option("--param", "-p", "pairs", multiple=True, metavar="NAME=VALUE",
              help="A parameter value (repeat for several; lists are comma-separated).")
@click.option("--example", is_flag=True, help="Use every parameter's example value (those not given).")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True)
@click.option("--cypher", "show_cypher", is_flag=True, help="Print the query text (what Neo4j Browser runs) instead.")
@click.pass_context
def query(ctx: click.Context, name: str, pairs: tuple[str, ...], example: bool, fmt: str, show_cypher: bool) -> None:
    """Run a saved query (`detgraph reports` lists them) and print its rows.

    \b
    Example:
      detgraph query technique_guide --param technique=T1609
      detgraph query shared_indicators --param min_techniques=5 --format csv
    """
    from graph_schema.db import open_driver
    from queries.catalog import get_query, run
    from queries.formats import render

    named = get_query(name)
    if show_cypher:
        click.echo(named.text.rstrip())
        return
    given = {**(named.examples() if example else {}), **_params(pairs)}
    values = named.bind(given)  # bad values fail here, before any connection
    s = settings_of(ctx)
    with open_driver(s) as driver:
        result = run(driver, named, values, database=s.neo4j_database, bound=True)
    click.echo(render(result, fmt).rstrip("\n"))
