"""The JSON API (/api/v1) on the full corpora graph: every route at its documented example answers real
content; paging, ETags, the draft check; and every error case gets its status and one-line message."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from neo4j import Driver
from openapi_spec_validator import validate

from api.web.openapi import openapi_spec, operations
from loader.report import LoadReport
from queries.catalog import get_query, parse_query_file

pytestmark = [pytest.mark.neo4j, pytest.mark.corpus]

POWERSHELL = "ab4dfb384b826c38232f8b21fdfab2c3df0f75ee"  # process.name eq powershell.exe
DRAFT = """title: Whoami with all
id: 5b2d3c4e-0000-4000-8000-00000000c0df
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\\\whoami.exe'
        CommandLine|contains: '/all'
    condition: selection
"""


@pytest.fixture(scope="module")
def app(full_graph: tuple[Driver, LoadReport], web_app: Flask) -> Flask:
    return web_app


@pytest.fixture(scope="module")
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c


def example_operations() -> list[dict]:
    app = Flask(__name__)  # url_for-free: operations() reads only the document
    with app.app_context():
        return [op for op in operations() if op["example"]]


def test_openapi_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"] == "3.1.0" and spec == openapi_spec()
    assert {"/techniques/{technique}", "/rules/{uid}", "/rules/check", "/reports/{name}", "/navigator"} <= set(
        spec["paths"])


@pytest.mark.parametrize("op", example_operations(), ids=lambda op: op["path"])
def test_every_get_route_answers_its_example_with_rows(client: FlaskClient, op: dict) -> None:
    response = client.get(op["example"])
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    if op["path"] in ("/navigator", "/health"):
        assert body
        return
    assert body["data"], f"{op['example']} returned nothing"
    if op["query"]:
        columns = list(get_query(op["query"]).columns)
        rows = body["data"] if isinstance(body["data"], list) else [body["data"]]
        assert all(list(row) == columns for row in rows)


def test_docs_page_lists_every_route(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for path in openapi_spec()["paths"]:
        assert f"/api/v1{path}" in page


def test_technique_guide_t1609_over_http(client: FlaskClient) -> None:
    guide = client.get("/api/v1/techniques/T1609?limit=100").get_json()["data"]
    fields = {f["field"] for f in guide["fields"]}
    assert {"kubernetes.audit.verb", "kubernetes.audit.objectRef.resource"} <= fields
    assert {g["vendor"] for g in guide["rules"]} >= {"sigma", "elastic"} and guide["events"]
    top = guide["indicators"][0]
    assert top["reach"] >= top["rules"] >= 2 and "reach_sigma" in top


def test_rule_detail_has_predicates_in_both_forms_and_the_query(client: FlaskClient) -> None:
    hits = client.get("/api/v1/rules?text=kubectl").get_json()["data"]
    uid = next(h["uid"] for h in hits if h["vendor"] == "elastic")
    rule = client.get(f"/api/v1/rules/{quote(uid)}").get_json()["data"]
    assert rule["uid"] == uid and rule["query"] and rule["path"] and rule["techniques"]
    assert rule["provenance"]["content_hash"]
    pred = rule["predicates"][0]
    assert pred["field"] and pred["canonical"]["field"] and "corpus_reach" in pred
    by_rule_id = client.get(f"/api/v1/rules/{rule['rule_id']}").get_json()["data"]
    assert by_rule_id["uid"] == uid


def test_indicator_across_vendors(client: FlaskClient) -> None:
    view = client.get(f"/api/v1/indicators/{POWERSHELL}?limit=2000").get_json()["data"]
    assert {r["vendor"] for r in view["rules"]} == {"sigma", "elastic", "splunk"}


def test_list_params_repeat_or_comma(client: FlaskClient) -> None:
    repeated = client.get("/api/v1/indicators/shared?techniques=T1059.001&techniques=T1204.002&min_techniques=2")
    commas = client.get("/api/v1/indicators/shared?techniques=T1059.001,T1204.002&min_techniques=2")
    assert repeated.status_code == commas.status_code == 200
    assert repeated.get_json()["meta"]["params"]["techniques"] == ["T1059.001", "T1204.002"]
    assert repeated.get_json()["data"] == commas.get_json()["data"]


@pytest.mark.parametrize("path", ["/api/v1/techniques", "/api/v1/indicators/shared"])  # Cypher / Python paging
def test_pages_follow_next_and_match_one_big_page(client: FlaskClient, path: str) -> None:
    big = client.get(f"{path}?limit=20").get_json()["data"]
    first = client.get(f"{path}?limit=10").get_json()
    second = client.get(first["meta"]["next"]).get_json()
    assert first["meta"]["offset"] == 0 and second["meta"]["offset"] == 10
    assert first["data"] + second["data"] == big and len(big) == 20


def test_paging_is_bounded(client: FlaskClient) -> None:
    response = client.get("/api/v1/indicators/shared?limit=800&offset=300")  # 1100 > its limit maximum (1000)
    assert response.status_code == 400 and "offset + limit" in response.get_json()["error"]["message"]
    assert client.get("/api/v1/indicators/shared?offset=-1").status_code == 400


def test_etag_gives_304_and_changes_with_the_answer(client: FlaskClient) -> None:
    first = client.get("/api/v1/techniques?limit=5")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["Server-Timing"].startswith("db;dur=")
    again = client.get("/api/v1/techniques?limit=5", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    other = client.get("/api/v1/techniques?limit=6", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_report_runs_any_saved_query_as_json_and_csv(client: FlaskClient) -> None:
    listed = client.get("/api/v1/reports").get_json()["data"]
    assert {r["name"] for r in listed} >= {"technique_guide", "shared_indicators", "coverage_matrix"}
    rows = client.get("/api/v1/reports/coverage_by_tactic").get_json()["data"]
    assert any(r["tactic"] == "execution" for r in rows)
    csv = client.get("/api/v1/reports/coverage_by_tactic?format=csv")
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    assert csv.get_data(as_text=True).splitlines()[0].startswith("tactic,")
    guide = client.get("/api/v1/reports/technique_guide?technique=T1609").get_json()["data"]
    assert guide[0]["technique"]["id"] == "T1609"


def test_navigator_layer(client: FlaskClient) -> None:
    layer = client.get("/api/v1/navigator?score=vendors&vendor=elastic").get_json()
    assert layer["domain"] == "enterprise-attack" and layer["versions"]["layer"] == "4.5"
    assert layer["techniques"] and all(t["score"] <= 1 for t in layer["techniques"])


def test_check_endpoint_reviews_a_draft_as_the_cli_does(client: FlaskClient) -> None:
    as_text = client.post("/api/v1/rules/check?filename=draft.yml", data=DRAFT, content_type="text/plain")
    as_json = client.post("/api/v1/rules/check", json={"text": DRAFT, "filename": "draft.yml"})
    assert as_text.status_code == as_json.status_code == 200
    review = as_text.get_json()
    assert review["summary"]["drafts"] == 1 and review["drafts"][0]["vendor"] == "sigma"
    assert review["drafts"][0]["robustness"]["level"] == 1  # whoami.exe by name: the attacker renames it
    assert review == as_json.get_json()


@pytest.mark.parametrize(("body", "content_type", "status", "words"), [
    ("", "text/plain", 400, "empty draft"),
    ("{not json", "application/json", 400, "not JSON"),
    ('{"filename": "x.yml"}', "application/json", 400, '"text"'),
    ("x" * 300_000, "text/plain", 413, "bytes"),
])
def test_check_endpoint_refuses_bad_drafts(client: FlaskClient, body: str, content_type: str, status: int,
                                           words: str) -> None:
    response = client.post("/api/v1/rules/check", data=body, content_type=content_type)
    assert response.status_code == status and words in response.get_json()["error"]["message"]


@pytest.mark.parametrize(("url", "status", "words"), [
    ("/api/v1/techniques/T12", 400, "ATT&CK technique id"),
    ("/api/v1/techniques/T9999", 404, "no technique 'T9999'"),
    ("/api/v1/rules/no-such-rule", 404, "no rule"),
    (f"/api/v1/indicators/{'0' * 40}", 404, "no indicator"),
    ("/api/v1/fields/no.such.field", 404, "no field"),
    ("/api/v1/events/sysmon:999", 404, "no event"),
    ("/api/v1/techniques?limit=0", 400, "between 1 and"),
    ("/api/v1/techniques?limit=abc", 400, "integer"),
    ("/api/v1/techniques?vendor=qradar", 400, "sigma, elastic, splunk"),
    ("/api/v1/techniques?bogus=1", 400, "no parameter 'bogus'"),
    ("/api/v1/reports/no_such_report", 404, "no saved query"),
    ("/api/v1/reports/technique_guide", 400, "needs parameter 'technique'"),
    ("/api/v1/reports/coverage_by_tactic?format=xml", 400, "json or csv"),
    ("/api/v1/navigator?score=stars", 400, "rules, vendors, events"),
    ("/api/v1/no/such/route", 404, "not found"),
])
def test_errors_have_status_and_a_message(client: FlaskClient, url: str, status: int, words: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["status"] == status and words.lower() in error["message"].lower()
    assert "Traceback" not in error["message"]


def test_cypher_in_a_parameter_is_only_a_value(client: FlaskClient, full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    before = drv.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    response = client.get("/api/v1/rules", query_string={"text": "x' }) MATCH (n) DETACH DELETE n //"})
    assert response.status_code == 400 and "full-text query" in response.get_json()["error"]["message"]
    assert client.get("/api/v1/rules", query_string={"text": "x' MATCH n DETACH DELETE n"}).status_code == 200
    assert drv.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == before


def test_api_reads_in_read_transactions_only(app: Flask, tmp_path: Path) -> None:
    from neo4j.exceptions import ClientError

    writing = tmp_path / "writes.cypher"
    writing.write_text("// ---\n// title: W\n// description: a write\n// category: Test\n// columns: [n]\n// ---\n"
                       "CREATE (x:ShouldNotExist) RETURN count(x) AS n\n")
    with pytest.raises(ClientError, match="read access mode"):
        app.extensions["detgraph.graph"].run(parse_query_file(writing))
