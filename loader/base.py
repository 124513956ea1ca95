"""The vendor-loader plug-in interface: files -> rule records, nothing else.

The pipeline (loader/pipeline.py) owns batching, writing, progress bars and the report.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from loader.model import DataSource, LoadFailure, ParsedFile

__all__ = ["VendorLoader", "relative_path"]


def relative_path(path: Path, root: Path) -> str:
    """`path` relative to the corpus `root`, with forward slashes (the rule's stable `path`)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


class VendorLoader(ABC):
    """Reads one vendor's corpus rooted at `root` (an upstream checkout or a copy of one)."""

    vendor: ClassVar[str]

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @abstractmethod
    def files(self) -> list[Path]:
        """Every rule file below `root`, sorted."""

    @abstractmethod
    def parse_file(self, path: Path) -> ParsedFile:
        """Parse one file into rules; never raises for bad content (report it in `failures`)."""

    def data_sources(self) -> list[DataSource]:
        """Telemetry sources the corpus catalogues (Splunk `data_sources/`); none by default."""
        return []

    def support_failures(self) -> list[LoadFailure]:
        """Support files (macros, data sources) that could not be read; none by default."""
        return []
