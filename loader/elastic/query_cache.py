"""Parse results on disk: `QueryCache`, one JSON file per query, used by the EQL and ES|QL parsers."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

import loader.model
from graph_schema.errors import QuerySyntaxError
from loader.model import Operator, Predicate, QueryResult, Scope

__all__ = ["QueryCache"]


class QueryCache:
    """Parse results on disk, one JSON file per query under `$DETGRAPH_CACHE_DIR` (~/.cache/detgraph).

    The directory name carries a tag hashed from `versions` and the text of the `sources` files, which
    must list every file (module, grammar) whose change can change a parse result; `loader/model.py`
    and this module, which fix the entry format, are always added. So a new library version or a code
    change starts a fresh directory (stale ones are removed). Safe to delete. Syntax errors are cached
    too. Any I/O problem just bypasses the cache.
    """

    def __init__(self, name: str, versions: Iterable[str], sources: Iterable[Path]) -> None:
        self.name = name
        self.sources = (Path(loader.model.__file__), Path(__file__), *sources)
        digest = hashlib.sha256("\0".join(versions).encode())
        for source in self.sources:
            digest.update(source.read_bytes())
        self.tag = digest.hexdigest()[:16]
        self._pruned = False

    def directory(self) -> Path | None:
        """Where entries go now (None when `$DETGRAPH_CACHE_DIR` is set empty: caching is off)."""
        root = os.environ.get("DETGRAPH_CACHE_DIR")
        if root is not None:
            return Path(root) / f"{self.name}-{self.tag}" if root else None
        try:
            base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        except RuntimeError:  # no home directory
            return None
        return base / "detgraph" / f"{self.name}-{self.tag}"

    def get_or_parse(self, query: str, parse: Callable[[str], QueryResult]) -> QueryResult:
        """The cached result for `query`, else `parse(query)` (stored); re-raises cached syntax errors."""
        directory = self.directory()
        if directory is None:
            return parse(query)
        path = directory / f"{hashlib.sha256(query.encode()).hexdigest()}.json"
        entry = self._read(path)
        if entry is not None and "error" in entry:
            raise QuerySyntaxError(entry["error"])
        if entry is not None:
            try:
                return _result_from_json(entry)
            except (LookupError, TypeError, ValueError, AttributeError):  # an entry of another shape: a miss
                pass
        try:
            result = parse(query)
        except QuerySyntaxError as error:
            self._write(path, {"error": error.message})
            raise
        self._write(path, _result_to_json(result))
        return result

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None

    def _write(self, path: Path, entry: dict[str, Any]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self._pruned:
                self._pruned = True
                for stale in path.parent.parent.glob(f"{self.name}-*"):
                    if stale != path.parent:
                        shutil.rmtree(stale, ignore_errors=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
                json.dump(entry, handle)
            os.replace(handle.name, path)
        except OSError:
            return


# predicates are stored as rows in `Predicate` field order (model.py is part of every cache tag)
_ROW = tuple(f.name for f in fields(Predicate))
_OPERATOR_AT, _MODIFIERS_AT, _SCOPE_AT, _RELATION_AT = (
    _ROW.index(name) for name in ("operator", "modifiers", "scope", "relation")
)
_OPERATORS = {str(o): o for o in Operator}
_SCOPES = {str(s): s for s in Scope}


def _result_to_json(result: QueryResult) -> dict[str, Any]:
    return {
        "predicates": [[getattr(p, name) for name in _ROW] for p in result.predicates],
        "logic": result.logic,
        "issues": result.issues,
        "sources": result.sources,
    }


def _predicate_from_row(row: list[Any]) -> Predicate:
    row[_OPERATOR_AT] = _OPERATORS[row[_OPERATOR_AT]]
    row[_MODIFIERS_AT] = tuple(row[_MODIFIERS_AT])
    row[_SCOPE_AT] = _SCOPES[row[_SCOPE_AT]]
    if row[_RELATION_AT] is not None:
        row[_RELATION_AT] = _OPERATORS[row[_RELATION_AT]]
    return Predicate(*row)


def _result_from_json(entry: dict[str, Any]) -> QueryResult:
    return QueryResult(
        predicates=[_predicate_from_row(row) for row in entry["predicates"]],
        logic=entry["logic"],
        issues=entry["issues"],
        sources=entry["sources"],
    )
