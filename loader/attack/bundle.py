"""Reads the STIX objects of an ATT&CK release: one bundle (.json, .json.gz) or a folder of object files."""
from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graph_schema.errors import BundleError, RuleLocation

__all__ = ["read_objects"]

_GZIP_MAGIC = b"\x1f\x8b"
_SUFFIXES = (".json", ".json.gz")


def read_objects(path: Path) -> list[dict[str, Any]]:
    """Every STIX object under `path`, one per id (the newest `modified` wins); raises `BundleError`.

    `path` is a bundle file (gzip detected by content) or a folder like mitre/cti `enterprise-attack/`,
    whose `*.json` files (any depth) each hold a bundle or a single object.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.name.endswith(_SUFFIXES) and p.is_file())
        if not files:
            raise BundleError("no .json or .json.gz STIX files in this folder", RuleLocation(str(path)))
    elif path.is_file():
        files = [path]
    else:
        raise BundleError("no such file or folder", RuleLocation(str(path)))
    return _newest(obj for file in files for obj in _objects_in(file))


def _objects_in(path: Path) -> list[dict[str, Any]]:
    """The objects of one file: a bundle's `objects`, or the file's single STIX object."""
    data = _load_json(path)
    where = RuleLocation(str(path))
    if not isinstance(data, dict):
        raise BundleError(f"not STIX: the top level is a JSON {type(data).__name__}, not an object", where)
    if data.get("type") == "bundle":
        objects = data.get("objects")
        if not isinstance(objects, list) or not objects:
            raise BundleError("no objects: the bundle's `objects` list is missing or empty", where)
    elif _is_stix(data):
        objects = [data]
    else:
        raise BundleError("not STIX: neither a bundle nor an object with `type` and `id`", where)
    bad = next((i for i, obj in enumerate(objects) if not _is_stix(obj)), None)
    if bad is not None:
        raise BundleError(f"not STIX: objects[{bad}] has no `type` and matching `type--…` `id`", where)
    return objects


def _load_json(path: Path) -> Any:
    """The parsed JSON of `path`, gunzipped first when it is gzip; any failure is a one-line `BundleError`."""
    try:
        raw = path.read_bytes()
        if raw.startswith(_GZIP_MAGIC):
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except (OSError, EOFError, zlib.error, ValueError) as e:
        message = " ".join(str(e).split())
        raise BundleError(f"not readable as (gzipped) JSON: {message}", RuleLocation(str(path))) from None


def _is_stix(obj: Any) -> bool:
    """True for a dict with a string `type` and an `id` of the form `<type>--…`."""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("type"), str)
        and isinstance(obj.get("id"), str)
        and obj["id"].startswith(obj["type"] + "--")
    )


def _newest(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One object per id, the one with the latest `modified` (first seen on ties), in first-seen order."""
    by_id: dict[str, dict[str, Any]] = {}
    for obj in objects:
        old = by_id.get(obj["id"])
        if old is None or str(obj.get("modified", "")) > str(old.get("modified", "")):
            by_id[obj["id"]] = obj
    return list(by_id.values())
