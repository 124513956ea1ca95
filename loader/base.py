"""The vendor-loader plug-in interface: files -> rule records, nothing else.

The pipeline (loader/pipeline.py) owns batching, writing, progress bars and the report. Which files a
vendor reads is data (`rule_dirs`, `suffix`); the walk itself is the one shared walker (loader/walk.py).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from loader.model import DataSource, LoadFailure, ParsedFile
from loader.walk import CorpusFiles, relative_path, walk_corpus

__all__ = ["VendorLoader", "relative_path"]


class VendorLoader(ABC):
    """Reads one vendor's corpus rooted at `root` (an upstream checkout or a copy of one)."""

    vendor: ClassVar[str]
    rule_dirs: ClassVar[tuple[str, ...]] = (".",)  # folders below `root` that hold rule files
    suffix: ClassVar[str] = ".yml"  # how a rule file's name ends
    support_dirs: ClassVar[tuple[str, ...]] = ()  # folders of files every rule's reading depends on (macros)

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def walk(self) -> CorpusFiles:
        """Every regular rule file below the rule folders (sorted), and the entries that cannot be read."""
        return walk_corpus(self.root, self.rule_dirs, self.suffix)

    def support_files(self) -> list[Path]:
        """The regular files of `support_dirs` (a change to one means every rule must be read again)."""
        return walk_corpus(self.root, self.support_dirs, ".yml", recursive=False).files if self.support_dirs else []

    def files(self) -> list[Path]:
        """Every rule file below `root`, sorted (`walk` without its failures)."""
        return self.walk().files

    @abstractmethod
    def parse_file(self, path: Path) -> ParsedFile:
        """Parse one file into rules; never raises for bad content (report it in `failures`)."""

    def data_sources(self) -> list[DataSource]:
        """Telemetry sources the corpus catalogues (Splunk `data_sources/`); none by default."""
        return []

    def support_failures(self) -> list[LoadFailure]:
        """Support files (macros, data sources) that could not be read; none by default."""
        return []
