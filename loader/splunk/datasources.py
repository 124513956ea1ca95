"""Splunk `data_sources/*.yml` -> `DataSource`, with the one event a data source stands for, if any.

A data source names one event when its name ends in an event number ("Sysmon EventID 1", "Powershell
Script Block Logging 4104"), or when it has a `separator` (the field that tells its events apart) and its
name says which value: the rest of the name after a catalogued data source of the same source and
separator ("AWS CloudTrail" + "ConsoleLogin"), else the longest tail of the name that its `example_log`
contains ("CrowdStrike ProcessRollup2"). Nothing else is guessed. The event's provider is the `source`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from loader.base import relative_path
from loader.model import DataSource, EventRef, LoadFailure
from loader.walk import read_regular, unreadable, walk_corpus, yaml_reason

__all__ = ["load_data_sources", "DataSourceCatalog"]

_NUMBER = re.compile(r"\d+")


@dataclass(slots=True)
class DataSourceCatalog:
    """The data sources of a corpus by name, and the files that could not be read."""

    sources: dict[str, DataSource]
    failures: list[LoadFailure]

    def named(self, name: str) -> list[DataSource]:
        """The data sources a detection's `data_source` entry names ("A AND B" names two)."""
        found = self.sources.get(name)
        if found is not None:
            return [found]
        return [self.sources[part.strip()] for part in name.split(" AND ") if part.strip() in self.sources]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _ta_names(value: Any) -> list[str]:
    tas = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return [str(ta["name"]) for ta in tas if isinstance(ta, dict) and ta.get("name")]


def _read(path: Path) -> dict[str, Any] | str:
    """The YAML mapping of `path`, or why it is not one."""
    try:
        data = yaml.load(read_regular(path), Loader=yaml.CSafeLoader)
    except OSError as exc:
        return unreadable(exc)
    except yaml.YAMLError as exc:
        return yaml_reason(exc)
    except RecursionError:
        return "YAML nested too deeply to read"
    if not isinstance(data, dict) or not data.get("name"):
        return "not a data source (no name)"
    return data


def _event_value(data: dict[str, Any], bases: list[tuple[str, str, str]]) -> str | None:
    """Which event the data source stands for, as its file says (see the module doc)."""
    name, source, separator = str(data["name"]), str(data.get("source")), data.get("separator")
    words = name.split()
    if len(words) > 1 and _NUMBER.fullmatch(words[-1]):
        return words[-1]
    if not separator:
        return None
    for base, base_source, base_separator in bases:
        if (base_source, base_separator) == (source, str(separator)) and name.startswith(base + " "):
            return name[len(base) + 1 :].strip() or None
    text = " ".join(str(data.get("example_log") or "").split())
    for start in range(1, len(words)):
        tail = " ".join(words[start:])
        if re.search(rf"(?<![\w]){re.escape(tail)}(?![\w])", text):
            return tail
    return None


def load_data_sources(directory: Path, root: Path) -> DataSourceCatalog:
    """Every `*.yml` below `directory` as a `DataSource`; paths are relative to `root`."""
    directory = Path(directory)
    read: list[tuple[Path, dict[str, Any]]] = []
    found = walk_corpus(directory, suffixes=".yml", recursive=False)
    failures = [LoadFailure(relative_path(directory / Path(f.path), root), f.reason) for f in found.failures]
    for path in found.files:
        data = _read(path)
        if isinstance(data, str):
            failures.append(LoadFailure(relative_path(path, root), data))
        else:
            read.append((path, data))
    bases = [(str(d["name"]), str(d.get("source")), str(d["separator"])) for _, d in read if d.get("separator")]
    bases.sort(key=lambda b: -len(b[0]))  # the longest (most specific) base wins
    sources: dict[str, DataSource] = {}
    for path, d in read:
        name, source = str(d["name"]), d.get("source")
        value = _event_value(d, [b for b in bases if b[0] != name]) if source else None
        sources[name] = DataSource(
            vendor="splunk",
            name=name,
            source_id=str(d["id"]) if d.get("id") else None,
            source=str(source) if source else None,
            sourcetype=str(d["sourcetype"]) if d.get("sourcetype") else None,
            description=str(d.get("description") or ""),
            supported_tas=_ta_names(d.get("supported_TA")),
            fields=_strings(d.get("fields")),
            event=EventRef(str(source), value) if value else None,
            path=relative_path(path, root),
        )
    return DataSourceCatalog(sources, failures)
