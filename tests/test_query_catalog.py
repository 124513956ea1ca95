"""The query catalog (queries/catalog.py): every saved query is documented and valid; bad files and bad values
are clear errors; output formats."""
from __future__ import annotations

from pathlib import Path

import pytest

from graph_schema.errors import CatalogError, InvalidParameter, NotFound
from queries.catalog import FORMATS, NamedQuery, Result, get_query, load_catalog, parse_query_file
from queries.formats import render

GOOD = """// ---
// title: T
// description: D
// category: C
// tags: [a]
// parameters:
//   technique: {type: string, format: technique, required: true, example: T1609}
//   limit: {type: integer, default: 5, example: 3, minimum: 1, maximum: 10}
// columns: [id]
// ---
:param technique => "T1609";
:param limit => 3;
MATCH (t:Technique {id: $technique}) RETURN t.id AS id LIMIT $limit
"""


def write(tmp_path: Path, text: str, name: str = "q.cypher") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_catalog_every_query_documented_with_runnable_examples() -> None:
    catalog = load_catalog()
    assert len(catalog) >= 30
    for q in catalog.values():
        assert q.title and q.description and q.category and q.columns, q.name
        assert q.bind(q.examples()) is not None  # every example passes its own validation
        assert q.text.startswith("// ---") and q.cypher in q.text


def test_catalog_file_parses_header_params_and_cypher(tmp_path: Path) -> None:
    q = parse_query_file(write(tmp_path, GOOD))
    assert (q.name, q.title, q.category, q.columns) == ("q", "T", "C", ("id",))
    assert [p.name for p in q.parameters] == ["technique", "limit"]
    assert q.cypher.startswith("MATCH") and ":param" not in q.cypher


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s.replace("// title: T\n", ""), "needs a title"),
    (lambda s: s.replace(", example: T1609", ""), "has no example"),
    (lambda s: s.replace("type: integer", "type: int"), "has type 'int'"),
    (lambda s: s.replace(':param limit => 3;\n', ""), "missing limit"),
    (lambda s: s.replace(':param limit => 3;', ':param limit => 4;'), "must be the example"),
    (lambda s: s.replace("LIMIT $limit", "LIMIT $top"), "uses $top"),
    (lambda s: s.replace("format: technique", "format: colour"), "has format 'colour'"),
    (lambda s: s.replace("example: T1609", "example: X1"), "is not an ATT&CK technique id"),
    (lambda s: s.replace("// ---\n:param", "//\n:param"), "must start and end"),
    (lambda s: s.replace("tags: [a]", "tagz: [a]"), "unknown header key"),
])
def test_catalog_bad_file_is_an_error_naming_it(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CatalogError, match="q.cypher") as excinfo:
        parse_query_file(write(tmp_path, edit(GOOD)))
    assert message in str(excinfo.value)


def test_catalog_bind_coerces_and_validates(tmp_path: Path) -> None:
    q = parse_query_file(write(tmp_path, GOOD))
    assert q.bind({"technique": "T1059.001", "limit": "7"}) == {"technique": "T1059.001", "limit": 7}
    assert q.bind({"technique": "T1609", "limit": ""}) == {"technique": "T1609", "limit": 5}  # empty: the default
    for bad, message in (({"technique": "T1609'; MATCH (n) DETACH DELETE n //"}, "not an ATT&CK technique id"),
                         ({"technique": "T1609", "limit": "11"}, "between 1 and 10"),
                         ({"technique": "T1609", "limit": "ten"}, "not an integer"),
                         ({"limit": "3"}, "needs parameter 'technique'"),
                         ({"technique": "T1609", "colour": "red"}, "has no parameter 'colour'")):
        with pytest.raises(InvalidParameter, match=message):
            q.bind(bad)


def test_catalog_list_and_boolean_parameters() -> None:
    q = get_query("shared_indicators")
    values = q.bind({"techniques": "T1059.001, T1027", "include_exclusions": "yes"})
    assert values["techniques"] == ["T1059.001", "T1027"] and values["include_exclusions"] is True
    with pytest.raises(InvalidParameter, match="true or false"):
        q.bind({"include_exclusions": "maybe"})
    with pytest.raises(InvalidParameter, match="technique id"):
        q.bind({"techniques": ["T1059", "evil"]})


def test_catalog_unknown_query_is_not_found() -> None:
    with pytest.raises(NotFound, match="detgraph reports"):
        get_query("no_such_query")


def test_catalog_formats_cover_parameters() -> None:
    used = {p.format for q in load_catalog().values() for p in q.parameters if p.format}
    assert used <= set(FORMATS) and {"technique", "vendor", "indicator", "event"} <= used


def result(rows: list[dict], columns: list[str]) -> Result:  # type: ignore[type-arg]
    q = NamedQuery("q", "T", "D", "C", "RETURN 1", "RETURN 1", Path("q.cypher"), columns=tuple(columns))
    return Result(q, {}, columns, rows, 0.012)


def test_formats_table_csv_md_json() -> None:
    row = {"id": "T1609", "rules": 3, "vendors": ["sigma", "elastic"], "ok": True}
    r = result([row], ["id", "rules", "vendors", "ok"])
    table = render(r, "table")
    assert table.splitlines()[0].split() == ["id", "rules", "vendors", "ok"]
    assert "sigma, elastic" in table and table.endswith("1 row in 12 ms")
    assert render(r, "csv").splitlines() == ["id,rules,vendors,ok", 'T1609,3,"[""sigma"", ""elastic""]",true']
    assert render(r, "md").splitlines()[2] == "| T1609 | 3 | sigma, elastic | true |"
    assert '"count": 1' in render(r, "json")


def test_formats_sections_and_paths() -> None:
    node_a = {"_id": "a", "_labels": ["Technique"], "id": "T1609"}
    node_b = {"_id": "b", "_labels": ["Rule"], "title": "Exec into pod"}
    path = {"nodes": [node_a, node_b], "relationships": [{"_id": "r", "_type": "DETECTS", "_start": "b", "_end": "a"}]}
    assert "(Technique T1609)<-[DETECTS]-(Rule Exec into pod)" in render(result([{"path": path}], ["path"]), "table")
    guide = result([{"technique": {"id": "T1609"}, "events": [{"key": "sysmon:1", "rules": 2}],
                     "fields": [{"field": "process.name", "rules": 5}]}], ["technique", "events", "fields"])
    text = render(guide, "table")
    assert "technique.id: T1609" in text and "== events (1)" in text and "== fields (1)" in text
