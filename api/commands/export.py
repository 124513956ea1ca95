"""`detgraph export`: the graph as GraphML or node-link JSON for networkx / Gephi."""
from __future__ import annotations

from pathlib import Path

import click

from api.clikit import settings_of
from loader.export import FORMATS

__all__ = ["export"]


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="graphml", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path) -> None:
    """Export the whole graph (nodes with labels and properties, typed edges).

    \b
    Example:
      detgraph export --format graphml -o detgraph.graphml
    """
    from graph_schema.db import open_driver
    from loader.export import export_graph

    s = settings_of(ctx)
    with open_driver(s) as driver:
        graph = export_graph(driver, output, fmt, s.neo4j_database)
    click.echo(f"wrote {graph.number_of_nodes()} nodes and {graph.number_of_edges()} edges to {output}")
