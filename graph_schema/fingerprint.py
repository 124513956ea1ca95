"""A fingerprint of the graph: counts per label and relationship type, and a stable hash of its content.

Two graphs have the same digest when they hold the same nodes (labels and properties) joined by the
same relationships (type and properties), whatever their internal ids and the order they were written
in. Left out, because they change between two loads of identical input (`VOLATILE`):

* `loaded_at` — the time of the load, on every rule;
* `parse_digest` — on `Meta {key: 'parse:<vendor>'}`: what a load read a vendor's files with (the loader's
  code, the corpus's support files such as Splunk macros), bookkeeping that lets the next load skip files
  that did not change; not graph content;
* `generation` — on `Meta {key: 'graph'}`: a random id every load sets, so that readers caching answers
  (the API) know the graph changed;
* `root_<vendor>` — on `Meta {key: 'normalization'}`: the folder each corpus was read from (the same files
  read from another folder are the same graph).

Everything else counts: content hashes, commits, paths, the ATT&CK source path and version, the schema
version. A node is identified by its own content, so a relationship is hashed with the contents of its
two ends; the digest is order-free (sorted hashes), and duplicates count.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neo4j import Driver

__all__ = ["VOLATILE", "Fingerprint", "fingerprint"]

VOLATILE = frozenset({"loaded_at", "parse_digest", "generation"})
"""Properties that differ between two loads of the same input; the digest ignores them."""
VOLATILE_PREFIX = "root_"
"""...and those whose name starts so (`root_<vendor>`)."""

NODES = "MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props"
RELATIONSHIPS = ("MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS type, properties(r) AS props, "
                 "elementId(b) AS b")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Node counts per label, relationship counts per type, and the content digest."""

    nodes: dict[str, int]
    relationships: dict[str, int]
    digest: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (keys sorted)."""
        return {"nodes": dict(sorted(self.nodes.items())), "relationships": dict(sorted(self.relationships.items())),
                "digest": self.digest, "volatile": [*sorted(VOLATILE), f"{VOLATILE_PREFIX}*"]}

    def describe(self) -> str:
        """The counts and the digest, for a person."""
        lines = [f"{'label':<24}{'nodes':>10}"]
        lines += [f"{label:<24}{n:>10}" for label, n in sorted(self.nodes.items())]
        lines += ["", f"{'relationship':<24}{'count':>10}"]
        lines += [f"{kind:<24}{n:>10}" for kind, n in sorted(self.relationships.items())]
        lines += ["", f"digest {self.digest} (ignoring {', '.join(sorted(VOLATILE))}, {VOLATILE_PREFIX}*)"]
        return "\n".join(lines)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in VOLATILE and not k.startswith(VOLATILE_PREFIX)}


def fingerprint(driver: Driver, database: str | None = None) -> Fingerprint:
    """Read the whole graph once (streamed) and fingerprint it."""
    node_hash: dict[str, bytes] = {}
    nodes: dict[str, int] = {}
    relationships: dict[str, int] = {}
    items: list[bytes] = []
    with driver.session(database=database, default_access_mode="READ") as session, \
            session.begin_transaction() as tx:  # one transaction: nodes and relationships of the same graph
        for rec in tx.run(NODES):
            labels = sorted(rec["labels"])
            for label in labels:
                nodes[label] = nodes.get(label, 0) + 1
            digest = hashlib.sha256(_canonical(["node", labels, _props(rec["props"])])).digest()
            node_hash[rec["id"]] = digest
            items.append(digest)
        for rec in tx.run(RELATIONSHIPS):
            relationships[rec["type"]] = relationships.get(rec["type"], 0) + 1
            body = _canonical(["rel", rec["type"], _props(rec["props"])])
            items.append(hashlib.sha256(node_hash[rec["a"]] + body + node_hash[rec["b"]]).digest())
    items.sort()
    total = hashlib.sha256()
    for item in items:
        total.update(item)
    return Fingerprint(nodes, relationships, total.hexdigest()[:32])
