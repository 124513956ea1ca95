"""The HTML pages on the full corpora graph: every page answers with real content (Flask test client), errors are
HTML error pages, and the T1609 technique page works in a real headless Chromium (Selenium)."""
from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from neo4j import Driver
from selenium.webdriver.remote.webdriver import WebDriver

from api.web import create_app
from graph_schema.settings import Settings
from loader.report import LoadReport
from queries.catalog import load_catalog
from tests.conftest import free_port

pytestmark = [pytest.mark.neo4j, pytest.mark.corpus]

REPO_ROOT = Path(__file__).resolve().parents[1]
POWERSHELL = "ab4dfb384b826c38232f8b21fdfab2c3df0f75ee"  # process.name eq powershell.exe
SIGMA_K8S = "sigma:a1b0ca4e-7835-413e-8471-3ff2b8a66be6"  # Potential Remote Command Execution In Pod Container
ELASTIC_GKE = "elastic:c040c962-1c60-4259-8ea3-601a40d4ab9f"  # GKE User Exec into Pod (a KQL query)
SECTIONS = ("events", "fields", "indicators", "exclusions", "rules", "log-sources")
DRAFT = """title: Exec into a pod
id: 5f8a3c1e-2b7d-4e9a-9c1f-0a1b2c3d4e5f
status: experimental
logsource:
  product: kubernetes
  service: audit
detection:
  selection:
    verb: create
    objectRef.resource: pods
    objectRef.subresource: exec
  condition: selection
tags:
  - attack.execution
  - attack.t1609
level: medium
"""


@pytest.fixture(scope="module")
def app(full_graph: tuple[Driver, LoadReport], web_app: Flask) -> Flask:
    """The app over the full corpora graph."""
    return web_app


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    """The HTML of `url`, asserting its status and that it is an HTML page of the layout."""
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == status, (url, response.status_code, body[:2000])
    assert response.mimetype == "text/html" and '<header class="site">' in body, url
    return body


def section(body: str, section_id: str) -> str:
    """The HTML of the `<section id=...>` of a page."""
    match = re.search(rf'<section id="{re.escape(section_id)}".*?</section>', body, re.S)
    assert match, f"no section {section_id!r}"
    return match.group(0)


def table_rows(html: str) -> int:
    """How many body rows the tables of `html` have."""
    return sum(len(re.findall(r"<tr>", tbody)) for tbody in re.findall(r"<tbody>.*?</tbody>", html, re.S))


def test_home_has_heat_map_and_reports(client: FlaskClient) -> None:
    body = page(client, "/")
    coverage = section(body, "coverage")
    assert "Execution" in coverage and "Persistence" in coverage and table_rows(coverage) >= 14
    assert re.search(r"--share: 0\.\d{3}", coverage) and "/techniques?tactic=execution" in coverage
    assert "/reports/technique_guide" in section(body, "reports")


def test_techniques_list_filters_by_tactic(client: FlaskClient) -> None:
    body = page(client, "/techniques?tactic=execution")
    assert 'href="/techniques/T1609"' in body and 'href="/techniques/T1059.001"' in body
    assert "T1003" not in section(body, "techniques")  # credential access, not execution


def test_t1609_technique_page(client: FlaskClient) -> None:
    body = page(client, "/techniques/T1609")
    assert "Container Administration Command" in body
    for section_id in SECTIONS:
        assert table_rows(section(body, section_id)) >= 1, section_id
    fields = section(body, "fields")
    assert 'href="/fields/kubernetes.audit.verb"' in fields and "kubernetes.audit.objectRef" in fields
    rules = section(body, "rules")
    assert 'id="rules-sigma"' in rules and 'id="rules-elastic"' in rules and "<details" in rules
    assert f'href="/rules/{SIGMA_K8S}"' in rules and "Canonical field" in rules
    assert 'href="/events/kubernetes-audit:request"' in section(body, "events")
    assert re.search(r'href="/indicators/[0-9a-f]{40}"', section(body, "indicators"))


def test_t1059_001_page_and_rollup(client: FlaskClient) -> None:
    body = page(client, "/techniques/T1059.001")
    assert "PowerShell" in body and table_rows(section(body, "rules")) >= 3
    rolled = page(client, "/techniques/T1059?rollup=1")
    assert "are rolled up" in rolled and 'href="/techniques/T1059.001"' in rolled


def test_rule_pages(client: FlaskClient) -> None:
    body = page(client, f"/rules/{SIGMA_K8S}")
    assert "Potential Remote Command Execution In Pod Container" in body
    predicates = section(body, "predicates")
    assert ">verb<" in predicates and 'href="/fields/kubernetes.audit.verb"' in predicates
    source = section(body, "source")
    assert "kubernetes_audit_exec_into_container.yml" in source
    assert "and\n  verb eq &#39;create&#39;\n  objectRef.resource eq &#39;pods&#39;" in source  # the detection logic
    assert table_rows(section(body, "similar")) >= 1
    elastic = page(client, f"/rules/{ELASTIC_GKE}")
    assert re.search(r'<pre class="query">[^<]*io\.k8s\.core\.v1\.pods\.exec\.create', elastic), "as written"


def test_indicator_field_event_pages(client: FlaskClient) -> None:
    indicator = page(client, f"/indicators/{POWERSHELL}")
    assert "powershell.exe" in indicator and table_rows(section(indicator, "rules")) >= 50
    vendors = set(re.findall(r'<td><span class="vendor vendor-(\w+)">', section(indicator, "rules")))
    assert vendors == {"sigma", "elastic", "splunk"}
    field = page(client, "/fields/kubernetes.audit.verb")
    assert table_rows(section(field, "spellings")) >= 2 and table_rows(section(field, "values")) >= 1
    event = page(client, "/events/kubernetes-audit:request")
    assert table_rows(section(event, "rules")) >= 10 and 'href="/techniques/T1609"' in section(event, "techniques")
    what_if = section(event, "what-if")
    assert "rules_losing" in what_if and table_rows(what_if) >= 1


def test_report_page(client: FlaskClient) -> None:
    body = page(client, "/reports/technique_guide")
    assert 'name="technique" value="T1609"' in body  # a required parameter starts with its example
    assert table_rows(section(body, "results")) == 1
    cypher = section(body, "cypher")
    assert "MATCH (t:Technique {id: $technique})" in cypher
    assert re.search(r'href="http://127\.0\.0\.1:\d+/browser/\?cmd=edit&amp;arg=%2F%2F%20---', cypher)
    assert "/api/v1/reports/technique_guide?technique=T1609" in body and "format=csv" in body
    listed = page(client, "/reports/techniques?tactic=execution&limit=20")
    assert table_rows(section(listed, "results")) == 20 and 'href="/techniques/T1059.001"' in listed
    assert "Coverage" in page(client, "/reports")


@pytest.mark.parametrize("name", sorted(load_catalog()))
def test_every_report_page_renders(client: FlaskClient, name: str) -> None:
    body = page(client, f"/reports/{name}")
    assert "<pre class=\"cypher\">" in section(body, "cypher") and 'id="download-csv"' in section(body, "results")


def test_search_and_check(client: FlaskClient) -> None:
    found = page(client, "/search?q=kubectl+exec")
    assert table_rows(section(found, "results")) >= 1 and "/rules/" in found
    response = client.post("/check", data={"text": DRAFT, "filename": "exec.yml"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:2000]
    findings = section(body, "findings")
    assert "near-duplicate" in findings and SIGMA_K8S in findings and table_rows(findings) >= 2


@pytest.mark.parametrize(("url", "status", "says"), [
    ("/techniques/T9999", 404, "T9999"),
    (f"/rules/{SIGMA_K8S[:-4]}zzzz", 404, "no rule"),
    ("/techniques/T12", 400, "ATT&amp;CK technique id"),
    ("/reports/no_such_report", 404, "no saved query"),
    ("/reports/techniques?limit=0", 400, "limit"),
    ("/indicators/" + "0" * 40, 404, "no indicator"),
    ("/indicators/not-a-key", 400, "indicator key"),
    ("/events/nope:1", 404, "no event"),
    ("/fields/no.such.field", 404, "no field"),
])
def test_errors_are_html_pages(client: FlaskClient, url: str, status: int, says: str) -> None:
    body = page(client, url, status)
    assert f"<h1>{status} " in body and says in section(body, "error")


def test_neo4j_down_is_a_503_page(neo4j_settings: Settings) -> None:
    down = dataclasses.replace(neo4j_settings, neo4j_uri=f"bolt://127.0.0.1:{free_port()}")
    application = create_app(down)
    try:
        response = application.test_client().get("/techniques/T1609")
    finally:
        application.extensions["detgraph.graph"].close()
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"], body[:2000]
    assert "<h1>503 Service Unavailable</h1>" in body and "try again" in section(body, "error")


# -- a real browser ---------------------------------------------------------------------------------

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """Headless Chromium through chromedriver; a missing browser fails the test (CI installs it)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), "chromium and chromedriver are needed: apt-get install " \
                                                        "chromium chromium-driver"
    with tempfile.TemporaryDirectory(prefix="detgraph-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--window-size=1400,1000", f"--user-data-dir={profile}"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        driver.set_page_load_timeout(60)
        yield driver
        driver.quit()


def artifacts_dir() -> Path:
    """$DETGRAPH_ARTIFACTS, else .detgraph/artifacts."""
    folder = Path(os.environ.get("DETGRAPH_ARTIFACTS") or REPO_ROOT / ".detgraph" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_technique_page_in_chromium(full_graph: tuple[Driver, LoadReport], live_app: str, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    technique_url = f"{live_app}/techniques/T1609"
    browser.get(technique_url)
    assert "T1609" in browser.title and "Container Administration Command" in browser.find_element(By.TAG_NAME,
                                                                                                   "h1").text
    for section_id in SECTIONS:
        rows = browser.find_elements(By.CSS_SELECTOR, f"#{section_id} table tbody tr")
        assert rows, f"section #{section_id} has no table row"
    shot = artifacts_dir() / "technique-T1609.png"
    shot.unlink(missing_ok=True)
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000

    first_rule = browser.find_element(By.CSS_SELECTOR, "#rules details.rule")
    first_rule.find_element(By.CSS_SELECTOR, "summary .muted").click()  # expands to its predicates
    assert first_rule.get_attribute("open") is not None
    assert first_rule.find_elements(By.CSS_SELECTOR, "table tbody tr")[0].is_displayed()

    rule_link = browser.find_element(By.CSS_SELECTOR, "#rules details.rule summary a")
    title = rule_link.text
    rule_link.click()
    assert "/rules/" in browser.current_url and title in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_elements(By.CSS_SELECTOR, "#predicates table tbody tr")

    browser.get(technique_url)
    indicator_link = browser.find_element(By.CSS_SELECTOR, "#indicators table tbody tr a[href^='/indicators/']")
    value = indicator_link.text
    indicator_link.click()
    assert "/indicators/" in browser.current_url
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading.startswith("Indicator") and value in heading
    assert browser.find_elements(By.CSS_SELECTOR, "#rules table tbody tr")
