"""The Splunk loader: ESCU detections (`detections/**/*.yml`) with their SPL, macros and data sources."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import ClassVar

from loader.base import VendorLoader
from loader.model import DataSource, LoadFailure, ParsedFile
from loader.splunk.datasources import DataSourceCatalog, load_data_sources
from loader.splunk.detection import parse_detection
from loader.splunk.macros import MacroLibrary

__all__ = ["SplunkLoader"]


class SplunkLoader(VendorLoader):
    """Reads an ESCU checkout: `detections/`, with `macros/` and `data_sources/` loaded once, lazily."""

    vendor: ClassVar[str] = "splunk"
    rule_dirs: ClassVar[tuple[str, ...]] = ("detections",)
    support_dirs: ClassVar[tuple[str, ...]] = ("macros", "data_sources")  # macros expand searches; data sources
    # say what fields mean and which events rules read

    @cached_property
    def macros(self) -> MacroLibrary:
        """The corpus's `macros/*.yml`."""
        return MacroLibrary.load(self.root / "macros")

    @cached_property
    def catalog(self) -> DataSourceCatalog:
        """The corpus's `data_sources/*.yml`, by name (with the files that could not be read)."""
        return load_data_sources(self.root / "data_sources", self.root)

    def parse_file(self, path: Path) -> ParsedFile:
        """The detection in `path` (never raises for bad content)."""
        return parse_detection(Path(path), self.root, self.macros)

    def support_failures(self) -> list[LoadFailure]:
        """Macro and data-source files that could not be read."""
        macros = [LoadFailure(f"macros/{reason.split(':', 1)[0]}", reason.split(": ", 1)[-1])
                  for reason in self.macros.broken.values()]
        return [*macros, *self.catalog.failures]

    def data_sources(self) -> list[DataSource]:
        """The catalogued data sources, sorted by name."""
        return sorted(self.catalog.sources.values(), key=lambda ds: ds.name)
