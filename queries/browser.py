"""Neo4j Browser helpers: the saved queries as importable favorites, and a `:play` guide through the model.

Favorites: a zip of `<category>/<name>.cypher` files (each starting with a `// <title>` line, which Browser
shows as the favorite's name) — drag it onto Browser's Favorites drawer. Guide: HTML slides in the format
`:play <url>` reads (`<slide>`s with runnable `<pre mode="cypher">` blocks), served by `detgraph serve` at
`/guide` (Neo4j allows `:play` from localhost; `browser.remote_content_hostname_whitelist` in the server
settings names the hosts).
"""
from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

from queries.catalog import NamedQuery, load_catalog

__all__ = ["favorite_text", "write_favorites", "guide_html", "GUIDE_QUERIES"]

GUIDE_QUERIES = ("technique_guide", "graph_technique", "indicator_view", "graph_indicator", "shared_indicators",
                 "exclusion_overlap", "exclusion_blast_radius", "field_view", "coverage_by_tactic",
                 "telemetry_what_if", "graph_event", "cross_vendor_duplicates")
"""The saved queries the guide walks through, in order."""

_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


def favorite_text(query: NamedQuery) -> str:
    """The file Browser imports as one favorite: a title line, then the saved query file as is."""
    return f"// {query.title}\n{query.text}"


def write_favorites(path: Path) -> int:
    """Write every saved query into a zip of favorites folders (one per category); returns the count."""
    catalog = load_catalog()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for query in catalog.values():
            folder = _SLUG.sub("-", query.category).strip("-").lower()
            archive.writestr(f"detgraph/{folder}/{query.name}.cypher", favorite_text(query))
    return len(catalog)


def _slide(title: str, body: str, cypher: str | None = None) -> str:
    code = f'<pre mode="cypher" class="runnable pre-scrollable code runnable standalone-example">' \
           f"{html.escape(cypher)}</pre>" if cypher else ""
    return (f'<slide class="row-fluid"><div class="col-sm-12"><h3>{html.escape(title)}</h3>'
            f"{body}{code}</div></slide>")


_MODEL = (
    "<p>detgraph holds every detection rule of SigmaHQ, elastic/detection-rules and Splunk ESCU as a "
    "<code>Rule</code> node, linked to the ATT&amp;CK <code>Technique</code>s it detects and, through "
    "<code>HAS_PREDICATE</code>, to canonical <code>Indicator</code>s: (field, operator, value) with no "
    "vendor in them, so Sigma <code>Image|endswith: '\\powershell.exe'</code>, Elastic "
    "<code>process.name : \"powershell.exe\"</code> and Splunk <code>Processes.process_name=powershell.exe</code> "
    "are one node. A predicate under a top-level <code>not</code> is an <em>exclusion</em> "
    "(<code>h.exclusion</code>). Rules read telemetry <code>Event</code>s (Sysmon 1, Security 4688, ESF exec…); "
    "ATT&amp;CK's v18 <code>LogSource</code>s map to the same events.</p>"
    "<p>Each slide runs a saved query of <code>queries/</code> as is: the <code>:param</code> lines set its "
    "parameters (change them and run again). Switch on <em>multi-statement query editor</em> in Browser "
    "settings if it is off.</p>"
)


def guide_html() -> str:
    """The `:play` guide: the model, then one slide per query of `GUIDE_QUERIES`."""
    catalog = load_catalog()
    slides = [_slide("detgraph: detection rules as a graph", _MODEL,
                     "MATCH (r:Rule)-[:DETECTS]->(t:Technique {id: 'T1609'}) RETURN r, t LIMIT 25")]
    for name in GUIDE_QUERIES:
        query = catalog[name]
        slides.append(_slide(query.title, f"<p>{html.escape(query.description)}</p>",
                             query.text.split("// ---", 2)[-1].strip()))
    return ('<article class="guide"><carousel class="deck container-fluid">'
            + "".join(slides) + "</carousel></article>")
