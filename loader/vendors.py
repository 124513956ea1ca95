"""Every corpus detgraph reads, declared once: the rule vendors and ATT&CK beside them.

Adding a vendor is one `Corpus(...)` line here (and its loader package): settings (`[corpora]`,
`DETGRAPH_<NAME>`), `detgraph load --<name>`, `detgraph fetch <name>` and the pipeline all derive from
this table. Nothing here imports a parser: a vendor's loader class is imported when it is first used.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loader.base import VendorLoader

__all__ = ["Corpus", "VENDORS", "ATTACK", "CORPORA", "LOADERS", "loader_class"]


@dataclass(frozen=True, slots=True)
class Corpus:
    """One corpus: its name, where it comes from, and (for a rule vendor) the loader class that reads it."""

    name: str
    title: str
    upstream: str  # git URL `detgraph fetch` clones
    help: str  # the `detgraph load --<name>` option's help
    loader: str | None = None  # "module:Class", imported lazily; None for a corpus of no rules (ATT&CK)
    load_path: str = "."  # what `detgraph load` reads inside a fetched checkout

    @property
    def option(self) -> str:
        """The `detgraph load` option that names this corpus's path."""
        return f"--{self.name}"


VENDORS: dict[str, Corpus] = {
    c.name: c
    for c in (
        Corpus("sigma", "Sigma", "https://github.com/SigmaHQ/sigma.git",
               "SigmaHQ/sigma checkout (or a copy of one).", "loader.sigma:SigmaLoader"),
        Corpus("elastic", "Elastic", "https://github.com/elastic/detection-rules.git",
               "elastic/detection-rules checkout.", "loader.elastic:ElasticLoader"),
        Corpus("splunk", "Splunk ESCU", "https://github.com/splunk/security_content.git",
               "splunk/security_content checkout.", "loader.splunk:SplunkLoader"),
    )
}
"""The rule vendors, in load order."""

ATTACK = Corpus("attack", "MITRE ATT&CK", "https://github.com/mitre/cti.git",
                "ATT&CK STIX bundle (.json, .json.gz) or folder of object files.", load_path="enterprise-attack")
"""ATT&CK: not rules, the backbone they link to (loaded first)."""

CORPORA: dict[str, Corpus] = {ATTACK.name: ATTACK, **VENDORS}
"""Every corpus a setting, `detgraph load` option or `detgraph fetch` can name."""


def loader_class(vendor: str) -> type[VendorLoader]:
    """The loader class of `vendor`, imported on first use (KeyError for a name that is no rule vendor)."""
    spec = VENDORS[vendor].loader
    assert spec is not None, vendor
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class _Loaders(Mapping[str, "type[VendorLoader]"]):
    """vendor -> loader class, importing each class only when it is looked up."""

    def __getitem__(self, vendor: str) -> type[VendorLoader]:
        return loader_class(vendor)

    def __iter__(self) -> Iterator[str]:
        return iter(VENDORS)

    def __len__(self) -> int:
        return len(VENDORS)

    def __contains__(self, vendor: object) -> bool:
        return vendor in VENDORS


LOADERS: Mapping[str, type[VendorLoader]] = _Loaders()
"""vendor -> `VendorLoader` subclass, looked up lazily (the pipeline's `LOADERS[vendor](root)`)."""
