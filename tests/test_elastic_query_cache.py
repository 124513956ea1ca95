"""The on-disk parse cache: hits without reparsing, replayed syntax errors, tags, and what a tag covers."""
from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

from graph_schema.errors import QuerySyntaxError
from loader.elastic import eql_query, esql
from loader.elastic.query_cache import QueryCache
from loader.model import Operator, Predicate, QueryResult, Scope


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETGRAPH_CACHE_DIR", "")


SAMPLE = QueryResult(
    predicates=[
        Predicate("process.name", Operator.WILDCARD, "a*", raw_value='"a*"', modifiers=(":",)),
        Predicate("x.y", Operator.IS_NULL, None, negated=True, exclusion=True, scope=Scope.THRESHOLD, group="g"),
        Predicate("a.b", Operator.FIELDREF, "c.d", modifiers=("rhs:string",), relation=Operator.STARTSWITH),
    ],
    logic={"and": [{"p": 0}, {"not": {"p": 1}}, {"p": 2}]},
    issues=["skipped `f(x)`: reason"],
    sources=["logs-*"],
)


def _counting_parser(calls: list[str]):
    """A parser that records its calls (and never touches the real parsers' caches)."""

    def parse(query: str) -> QueryResult:
        calls.append(query)
        if query == "bad":
            raise QuerySyntaxError("EQL syntax error: bad")
        return SAMPLE

    return parse


def test_query_cache_returns_equal_result_without_reparsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DETGRAPH_CACHE_DIR", str(tmp_path))
    cache, calls = QueryCache("t", ("1",), ()), []
    first = cache.get_or_parse("q", _counting_parser(calls))
    second = cache.get_or_parse("q", _counting_parser(calls))
    assert calls == ["q"]
    assert first == second == SAMPLE
    assert second.predicates[1].scope is Scope.THRESHOLD
    assert second.predicates[2].relation is Operator.STARTSWITH
    assert list(map(repr, second.predicates)) == list(map(repr, SAMPLE.predicates))  # rule content hashes use reprs
    assert len(list(tmp_path.glob("t-*/*.json"))) == 1


def test_query_cache_replays_syntax_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DETGRAPH_CACHE_DIR", str(tmp_path))
    cache, calls = QueryCache("t", ("1",), ()), []
    for _ in range(2):
        with pytest.raises(QuerySyntaxError, match="bad"):
            cache.get_or_parse("bad", _counting_parser(calls))
    assert calls == ["bad"]


def test_query_cache_new_version_uses_new_directory_and_drops_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DETGRAPH_CACHE_DIR", str(tmp_path))
    old, new, calls = QueryCache("t", ("1",), ()), QueryCache("t", ("2",), ()), []
    old.get_or_parse("any where a == 1", _counting_parser(calls))
    new.get_or_parse("any where a == 1", _counting_parser(calls))
    assert len(calls) == 2
    assert [d.name for d in tmp_path.iterdir()] == [f"t-{new.tag}"]


def test_query_cache_tag_follows_source_text(tmp_path: Path):
    source = tmp_path / "parser.py"
    source.write_text("a = 1\n")
    before = QueryCache("t", ("1",), (source,)).tag
    source.write_text("a = 2\n")
    assert QueryCache("t", ("1",), (source,)).tag != before


def test_query_cache_empty_setting_disables_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache, calls = QueryCache("t", ("1",), ()), []
    assert cache.directory() is None
    cache.get_or_parse("any where a == 1", _counting_parser(calls))
    cache.get_or_parse("any where a == 1", _counting_parser(calls))
    assert len(calls) == 2


def test_query_cache_unwritable_directory_still_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("DETGRAPH_CACHE_DIR", str(blocker))
    calls: list[str] = []
    assert QueryCache("t", ("1",), ()).get_or_parse("q", _counting_parser(calls)) == SAMPLE
    assert calls == ["q"]


def _loader_files(parser: ModuleType) -> set[Path]:
    """The files of the `loader` modules that `parser` imports or imports names from (and its own)."""
    names = {
        value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        for value in vars(parser).values()
    }
    return {Path(sys.modules[name].__file__) for name in names if name and name.startswith("loader.")}


@pytest.mark.parametrize("parser", [eql_query, esql], ids=["eql", "esql"])
def test_query_cache_tag_covers_the_parser_and_the_loader_modules_it_uses(parser: ModuleType):
    sources = set(parser._CACHE.sources)
    assert Path(parser.__file__) in sources
    assert _loader_files(parser) <= sources


def test_esql_cache_tag_covers_its_grammar_and_the_kql_grammar():
    names = {path.name for path in esql._CACHE.sources}
    assert {"esql.lark", "kql.lark"} <= names


@pytest.mark.parametrize("entry", [b"{}", b'{"predicates": 5}', b"[1, 2]", b'{"predicates": [[1]], "logic": null}',
                                   b"\x00\xff not json"])
def test_query_cache_entry_of_another_shape_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      entry: bytes):
    monkeypatch.setenv("DETGRAPH_CACHE_DIR", str(tmp_path))
    cache, calls = QueryCache("t", ("1",), ()), []
    cache.get_or_parse("q", _counting_parser(calls))
    (path,) = tmp_path.glob("t-*/*.json")
    path.write_bytes(entry)  # a cache written by something else, or half-written
    assert cache.get_or_parse("q", _counting_parser(calls)) == SAMPLE
    assert calls == ["q", "q"]
