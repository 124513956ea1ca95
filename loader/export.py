"""Export the built graph for networkx / Gephi users: GraphML or node-link JSON."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # networkx and the driver load when a graph is exported, not when FORMATS is read
    import networkx as nx
    from neo4j import Driver

__all__ = ["graph_to_networkx", "export_graph", "FORMATS"]

NODES = "MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props"
EDGES = "MATCH (a)-[r]->(b) RETURN elementId(a) AS src, elementId(b) AS dst, type(r) AS type, properties(r) AS props"
FORMATS = ("graphml", "json")


def _scalar(value: Any) -> Any:
    """GraphML stores scalars only: lists become JSON text."""
    return json.dumps(value) if isinstance(value, list) else value


def graph_to_networkx(driver: Driver, database: str | None = None) -> nx.MultiDiGraph:
    """The whole graph as a `networkx.MultiDiGraph` (node attribute `label`, edge attribute `type`)."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    with driver.session(database=database, default_access_mode="READ") as session:
        for rec in session.run(NODES):
            attrs = {k: _scalar(v) for k, v in rec["props"].items()}
            graph.add_node(rec["id"], label=":".join(rec["labels"]), **attrs)
        for rec in session.run(EDGES):
            attrs = {k: _scalar(v) for k, v in rec["props"].items()}
            graph.add_edge(rec["src"], rec["dst"], type=rec["type"], **attrs)
    return graph


def export_graph(driver: Driver, path: Path, fmt: str, database: str | None = None) -> nx.MultiDiGraph:
    """Write the graph to `path` as GraphML or node-link JSON; returns the networkx graph."""
    import networkx as nx

    graph = graph_to_networkx(driver, database)
    if fmt == "graphml":
        nx.write_graphml(graph, path)
    else:
        path.write_text(json.dumps(nx.node_link_data(graph, edges="edges"), default=str))
    return graph
