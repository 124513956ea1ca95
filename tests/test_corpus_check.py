"""`detgraph check` against the full corpora graph: drafts made from real rules, and the robustness every load
stores (queries/review/, loader/normalize/robustness.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from neo4j import Driver

from graph_schema.settings import Settings
from loader.normalize import Normalizer
from loader.report import LoadReport
from queries.catalog import get_query, run
from queries.review.draft import parse_draft, read_draft
from queries.review.findings import Finding
from queries.review.report import Review, review, review_text
from tests.conftest import CORPORA, REPO_ROOT

pytestmark = [pytest.mark.neo4j, pytest.mark.corpus]

DIALER = CORPORA / "sigma" / "rules" / "windows" / "network_connection" / \
    "net_connection_win_dialer_initiated_connection.yml"
SCRIPT_POWERSHELL = "elastic:f545ff26-3c94-4fd0-bd33-3c7f95a3a0fc"  # Windows Script Executing PowerShell
REAL_RULES = {  # one real file per vendor, and its uid in the graph
    "sigma:37e4024a-6c80-4d8f-b95d-2e7e94f3a8d1": DIALER,
    SCRIPT_POWERSHELL: CORPORA / "elastic" / "rules" / "windows" / "initial_access_script_executing_powershell.toml",
    "splunk:fb4c31b0-13e8-4155-8aa5-24de4b8d6717":
        CORPORA / "splunk" / "detections" / "endpoint" / "access_lsass_memory_for_dump_creation.yml",
}
SIGMA_REWRITE = """title: Windows Script Executing PowerShell (Sigma rewrite)
id: 5b2d3c4e-0000-4000-8000-00000000c0de
status: experimental
logsource: {product: windows, category: process_creation}
detection:
    selection:
        ParentImage|endswith: ['\\cscript.exe', '\\wscript.exe']
        Image|endswith: '\\powershell.exe'
    condition: selection
level: medium
"""
TYPO = """title: Whoami with all
id: 5b2d3c4e-0000-4000-8000-00000000c0df
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\whoami.exe'
        Commandline|contains: '/all'
    condition: selection
"""
CMD_ONLY = """title: Cmd
id: 5b2d3c4e-0000-4000-8000-00000000c0e0
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\cmd.exe'
    condition: selection
"""


def check(drv: Driver, text: str, name: str = "draft.yml", language: str | None = None) -> Review:
    return review([read_draft(text, name, language)], drv)


def findings(result: Review, kind: str) -> list[Finding]:
    return [f for f in result.findings() if f.kind == kind]


def test_check_reports_exclusion_its_peers_share(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    text = DIALER.read_text(encoding="utf-8")
    assert "            - '127.0.0.0/8'\n" in text
    draft = text.replace("            - '127.0.0.0/8'\n", "")
    (original,) = parse_draft(read_draft(text, DIALER.name))
    result = check(drv, draft, DIALER.name)
    normalizer = Normalizer.load(Path(result.load.ecs_path or ""))
    loopback = next(c.key for p, c in zip(original.predicates, normalizer.canonical(original), strict=True)
                    if p.value == "127.0.0.0/8")
    missing = {f.evidence["indicator"]: f for f in findings(result, "missing-exclusion")}
    assert loopback in missing, [f.reason for f in missing.values()]
    found = missing[loopback]
    assert found.evidence["peers_using"] >= 3 and found.evidence["peers"] >= found.evidence["peers_using"]
    assert found.evidence["example_peers"] and all(":" in uid for uid in found.evidence["example_peers"])
    assert "127.0.0.0/8" in found.reason and found.line is not None
    kept = {c.key for p, c in zip(original.predicates, normalizer.canonical(original), strict=True) if p.exclusion}
    assert not (kept - {loopback}) & set(missing), "exclusions the draft has are never reported missing"


def test_check_finds_elastic_rule_for_its_sigma_rewrite(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    duplicates = {f.evidence["uid"]: f for f in findings(check(drv, SIGMA_REWRITE), "near-duplicate")}
    assert SCRIPT_POWERSHELL in duplicates
    found = duplicates[SCRIPT_POWERSHELL]
    assert found.evidence["jaccard"] >= 0.8 and found.severity == "warning"
    assert "Elastic rule" in found.reason and "Windows Script Executing PowerShell" in found.reason


def test_check_flags_misspelled_field_with_spelling_others_use(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    result = check(drv, TYPO)
    unused = {f.evidence["vendor_field"]: f for f in findings(result, "field-unused")}
    assert "Commandline" in unused
    assert "CommandLine" in unused["Commandline"].evidence["suggestions"]
    assert unused["Commandline"].severity == "warning" and "did you mean CommandLine" in unused["Commandline"].reason
    assert unused["Commandline"].line == 7
    assert "Image" not in unused, "a field other rules use is no typo"


@pytest.mark.parametrize(("text", "name", "language"), [
    (CMD_ONLY, "cmd.yml", None), ('process.name : "cmd.exe"', "cmd.kql", "kql"),
    ("process where process.name == \"cmd.exe\"", "cmd.eql", "eql"),
])
def test_check_cmd_alone_is_noisy_and_low_robustness(full_graph: tuple[Driver, LoadReport], text: str, name: str,
                                                     language: str | None) -> None:
    drv, _ = full_graph
    result = check(drv, text, name, language)
    (noisy,) = findings(result, "noisy-selection")
    assert "process.name eq 'cmd.exe'" in noisy.reason and noisy.evidence["reach"] >= 100
    assert noisy.evidence["techniques"] >= 10 and noisy.severity == "warning"
    (robustness,) = findings(result, "robustness")
    assert robustness.evidence["level"] == 1 and robustness.severity == "warning"


@pytest.mark.parametrize("uid", sorted(REAL_RULES))
def test_check_real_rule_is_a_new_version_of_itself(full_graph: tuple[Driver, LoadReport], uid: str) -> None:
    drv, _ = full_graph
    path = REAL_RULES[uid]
    result = check(drv, path.read_text(encoding="utf-8"), path.name)
    assert not findings(result, "normalization"), "the draft is normalized as the load did"
    (loaded,) = findings(result, "loaded-version")
    assert loaded.evidence["uid"] == uid and loaded.evidence["jaccard"] == 1.0 and loaded.severity == "info"
    assert uid not in {f.evidence["uid"] for f in findings(result, "near-duplicate")}, "its own loaded version"
    stored = drv.execute_query("MATCH (r:Rule {uid: $uid}) RETURN r.robustness_level AS level", uid=uid).records
    assert result.reports[0].subject.robustness.level == stored[0]["level"]


def test_check_writes_nothing(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    count = "MATCH (n) RETURN count(n) AS n, COUNT { ()-[]->() } AS r"
    before = drv.execute_query(count).records[0].data()
    check(drv, SIGMA_REWRITE)
    check(drv, 'process.name : "cmd.exe"', "q.kql", "kql")
    assert drv.execute_query(count).records[0].data() == before


def _cli(tmp_path: Path, settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "DETGRAPH_"))},
           "PYTHONPATH": str(REPO_ROOT), "NEO4J_URI": settings.neo4j_uri, "NEO4J_PASSWORD": settings.neo4j_password,
           "DETGRAPH_STATE_DIR": str(tmp_path / "state")}
    return subprocess.run([sys.executable, "-m", "api.cli", "check", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_check_cli_exit_codes_and_sarif(full_graph: tuple[Driver, LoadReport], neo4j_settings: Settings,
                                        tmp_path: Path) -> None:
    draft = tmp_path / "cmd.yml"
    draft.write_text(CMD_ONLY, encoding="utf-8")
    failing = _cli(tmp_path, neo4j_settings, str(draft), "--format", "sarif", "--fail-on", "warning")
    assert failing.returncode == 1, failing.stderr
    log = json.loads(failing.stdout)
    results = log["runs"][0]["results"]
    assert {"noisy-selection", "robustness"} <= {r["ruleId"] for r in results}
    noisy = next(r for r in results if r["ruleId"] == "noisy-selection")
    assert noisy["level"] == "warning"
    assert noisy["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": str(draft)},
                                                          "region": {"startLine": 6}}
    passing = _cli(tmp_path, neo4j_settings, str(draft), "--format", "json")
    assert passing.returncode == 0, passing.stderr
    assert json.loads(passing.stdout)["drafts"][0]["robustness"]["level"] == 1
    api = review_text(CMD_ONLY.encode(), str(draft), None, driver=full_graph[0])  # what the HTTP API calls
    assert json.loads(api.to_json()) == json.loads(passing.stdout)
    kql = _cli(tmp_path, neo4j_settings, "-", "--language", "kql")
    assert kql.returncode == 2 and kql.stderr.startswith("error: -: empty draft")


@pytest.mark.parametrize(("content", "args", "says"), [
    ("title: [unclosed\n", [], "invalid YAML at line"),
    ('process.name : "cmd.exe"', ["--language", "cobol"], "Invalid value for '--language'"),
    ("", [], "empty draft"),
    ("just a sentence\n", [], "holds no mapping"),
    ("[rule\n", [], "invalid TOML"),
])
def test_check_bad_input_exits_2_with_one_line(full_graph: tuple[Driver, LoadReport], neo4j_settings: Settings,
                                               tmp_path: Path, content: str, args: list[str], says: str) -> None:
    draft = tmp_path / ("draft.toml" if content.startswith("[") else "draft.yml")
    draft.write_text(content, encoding="utf-8")
    result = _cli(tmp_path, neo4j_settings, str(draft), *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and says in line


def test_check_missing_file_exits_2(full_graph: tuple[Driver, LoadReport], neo4j_settings: Settings,
                                    tmp_path: Path) -> None:
    result = _cli(tmp_path, neo4j_settings, str(tmp_path / "nope.yml"))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "nope.yml: cannot read file" in line


def test_every_rule_has_a_robustness_level(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    rows = run(drv, get_query("robustness_distribution"), {"include_deprecated": True}).rows
    total = drv.execute_query("MATCH (r:Rule) RETURN r.vendor AS v, count(*) AS n").records
    assert {r["vendor"]: r["rules"] for r in rows} == {r["v"]: r["n"] for r in total}
    for r in rows:
        assert sum(r[f"level_{n}"] for n in range(1, 6)) == r["rules"], r
        assert r["level_1"] and r["level_3"] and r["with_bypassable_exclusion"]
    unscored = drv.execute_query("MATCH (r:Rule) WHERE r.robustness_level IS NULL OR r.robustness_reason IS NULL "
                                 "RETURN count(r) AS n").records[0]["n"]
    assert unscored == 0


def test_brittle_rules_and_bypassable_exclusions(full_graph: tuple[Driver, LoadReport]) -> None:
    drv, _ = full_graph
    brittle = run(drv, get_query("brittle_rules"), {"max_level": 1, "limit": 50}).rows
    assert len(brittle) == 50 and all(r["level"] == 1 and r["reason"] for r in brittle)
    exclusions = run(drv, get_query("bypassable_exclusions"), {"limit": 10}).rows
    radii = [r["blast_radius"] for r in exclusions]
    assert len(exclusions) == 10 and radii == sorted(radii, reverse=True) and radii[0] >= 10
    assert all(r["reason"] for r in exclusions)
    scoped = run(drv, get_query("bypassable_exclusions"), {"technique": "T1218.011", "limit": 5}).rows
    assert scoped and all(r["blast_radius"] <= radii[0] for r in scoped)
