"""`detgraph export graph|navigator|browser-favorites|browser-guide`: the graph and its answers for other tools."""
from __future__ import annotations

import json
from pathlib import Path

import click

from api.clikit import DetgraphGroup, settings_of

__all__ = ["export"]

OUTPUT = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.group(cls=DetgraphGroup)
def export() -> None:
    """Write the graph, an ATT&CK Navigator layer or Neo4j Browser favorites to a file.

    \b
    Example:
      detgraph export navigator --score vendors -o coverage.json
    """


@export.command("graph")
@click.option("--format", "fmt", type=click.Choice(["graphml", "json"]), default="graphml", show_default=True)
@click.option("--output", "-o", type=OUTPUT, required=True)
@click.pass_context
def export_graph_command(ctx: click.Context, fmt: str, output: Path) -> None:
    """The whole graph (nodes with labels and properties, typed edges) for networkx / Gephi.

    \b
    Example:
      detgraph export graph --format graphml -o detgraph.graphml
    """
    from graph_schema.db import open_driver
    from loader.export import export_graph

    s = settings_of(ctx)
    with open_driver(s) as driver:
        graph = export_graph(driver, output, fmt, s.neo4j_database)
    click.echo(f"wrote {graph.number_of_nodes()} nodes and {graph.number_of_edges()} edges to {output}")


@export.command("navigator")
@click.option("--score", type=click.Choice(["rules", "vendors", "events"]), default="rules", show_default=True,
              help="What a technique's score counts.")
@click.option("--vendor", type=click.Choice(["sigma", "elastic", "splunk"]), default=None,
              help="Only this vendor's rules.")
@click.option("--output", "-o", type=OUTPUT, required=True)
@click.pass_context
def export_navigator(ctx: click.Context, score: str, vendor: str | None, output: Path) -> None:
    """An ATT&CK Navigator layer (format 4.5, enterprise-attack) of the rules' coverage.

    \b
    Example:
      detgraph export navigator --score vendors -o coverage.json   # open it in ATT&CK Navigator
    """
    from graph_schema.db import open_driver
    from queries.navigator import navigator_layer

    s = settings_of(ctx)
    with open_driver(s) as driver:
        version = driver.execute_query("MATCH (m:Meta {key: 'attack'}) RETURN m.version AS v",
                                       database_=s.neo4j_database, routing_="r").records
        layer = navigator_layer(driver, score=score, vendor=vendor, database=s.neo4j_database,
                                attack_version=version[0]["v"] if version and version[0]["v"] else None)
    output.write_text(json.dumps(layer, indent=1))
    click.echo(f"wrote a Navigator layer of {len(layer['techniques'])} technique entries to {output}")


@export.command("browser-favorites")
@click.option("--output", "-o", type=OUTPUT, default=Path("detgraph-favorites.zip"), show_default=True)
def export_favorites(output: Path) -> None:
    """Every saved query as Neo4j Browser favorites (drag the zip onto Browser's Favorites drawer).

    \b
    Example:
      detgraph export browser-favorites -o favorites.zip
    """
    from queries.browser import write_favorites

    click.echo(f"wrote {write_favorites(output)} favorites to {output}")


@export.command("browser-guide")
@click.option("--output", "-o", type=OUTPUT, default=Path("detgraph-guide.html"), show_default=True)
def export_guide(output: Path) -> None:
    """The `:play` guide as an HTML file (`detgraph serve` also serves it at /guide).

    \b
    Example:
      detgraph export browser-guide -o guide.html
    """
    from queries.browser import guide_html

    output.write_text(guide_html())
    click.echo(f"wrote the Browser guide to {output}")
