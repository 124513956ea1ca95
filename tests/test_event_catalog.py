"""The telemetry event catalog (graph_schema/events/) and how each vendor's rules link to its events
(loader/normalize/events.py), on hand-written rules: no corpus parse, no Neo4j."""
from __future__ import annotations

from collections import Counter

import pytest

from graph_schema.event_catalog import EVENTS_DIR, EventCatalog
from graph_schema.field_catalog import FieldCatalog
from loader.model import DataSource, EventRef, Operator, Predicate, Rule, Telemetry
from loader.normalize import Normalizer
from tests.conftest import ECS

SYSMON = "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"
DATA_SOURCES = [  # as the Splunk corpus's data_sources/*.yml declare them
    DataSource("splunk", "Sysmon EventID 1", source=SYSMON, sourcetype="xmlwineventlog", event=EventRef(SYSMON, "1")),
    DataSource("splunk", "Okta", source="Okta", sourcetype="OktaIM2:log"),
    DataSource("splunk", "Suricata", source="suricata", sourcetype="suricata"),
    DataSource("splunk", "O365 UserLoginFailed", source="o365", sourcetype="o365:management:activity",
               event=EventRef("o365", "UserLoginFailed")),
    DataSource("splunk", "Windows Event Log Security 4688", source="XmlWinEventLog:Security",
               sourcetype="XmlWinEventLog", event=EventRef("XmlWinEventLog:Security", "4688")),
]


@pytest.fixture(scope="module")
def fields() -> FieldCatalog:
    return FieldCatalog.load(ECS)


@pytest.fixture(scope="module")
def catalog(fields: FieldCatalog) -> EventCatalog:
    return EventCatalog.load(fields=fields)


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    n = Normalizer.load(ECS)
    n.use_data_sources(DATA_SOURCES)
    return n


def eq(field: str, value: str) -> Predicate:
    return Predicate(field, Operator.EQ, value)


def sigma(product: str | None = None, category: str | None = None, service: str | None = None,
          *predicates: Predicate) -> Rule:
    rule = Rule("sigma", "s", "S", "s.yml", language="sigma",
                telemetry=Telemetry(product=product, category=category, service=service))
    rule.predicates = list(predicates)
    return rule


def elastic(indexes: list[str], *predicates: Predicate) -> Rule:
    rule = Rule("elastic", "e", "E", "e.toml", language="kuery", telemetry=Telemetry(index_patterns=indexes))
    rule.predicates = list(predicates)
    return rule


def splunk(data_sources: list[str], datamodels: list[str] | None = None, *predicates: Predicate) -> Rule:
    rule = Rule("splunk", "p", "P", "p.yml", language="spl",
                telemetry=Telemetry(data_sources=data_sources, datamodels=datamodels or []))
    rule.predicates = list(predicates)
    return rule


def keys(normalizer: Normalizer, rule: Rule) -> list[str]:
    return [e.key for e in normalizer.events(rule)]


# --- the catalog ---------------------------------------------------------------------------------------------

def test_catalog_reads_every_file(catalog: EventCatalog) -> None:
    files = {p.name for p in EVENTS_DIR.glob("*.yml")}
    assert {"saas.yml", "network.yml"} <= files
    for pid in ("okta", "m365-audit", "github-audit", "google-workspace", "zeek", "suricata", "network-traffic",
                "nginx", "apache-httpd", "apache-tomcat", "iis", "web-proxy", "panos", "fortigate", "pfsense",
                "splunk-stream", "email-gateway", "elastic-security-alerts"):
        assert pid in catalog.providers, pid


def test_event_fields_are_canonical(catalog: EventCatalog, fields: FieldCatalog) -> None:
    for event in catalog.events():
        for name in event.fields:
            fields.require(name, event.key)  # ECS 9.5 or a declared extension, else ConfigError


def test_every_provider_has_a_default_or_events(catalog: EventCatalog) -> None:
    for p in catalog.providers.values():
        assert p.events, p.id
        assert p.default is None or p.event(None) is not None, p.id


def test_no_duplicate_keys_or_aliases(catalog: EventCatalog) -> None:
    keys_seen = Counter(e.key for e in catalog.events())
    assert [k for k, n in keys_seen.items() if n > 1] == []
    owner: dict[str, str] = {}
    clashes = []
    for p in catalog.providers.values():
        for name in {p.id.lower(), *(a.lower() for a in p.aliases)}:
            if owner.setdefault(name, p.id) != p.id:
                clashes.append((name, owner[name], p.id))
        codes = [e.code.lower() for e in p.events.values()]
        aliases = [a.lower() for e in p.events.values() for a in {x.lower() for x in e.aliases} - {e.code.lower()}]
        names = Counter(codes + aliases)
        clashes += [(name, p.id, p.id) for name, n in names.items() if n > 1]
    assert clashes == []


def test_cim_models_are_declared_on_events(catalog: EventCatalog) -> None:
    models = {m for e in catalog.events() for m in e.cim}
    assert {"Network_Traffic", "Network_Resolution", "Web", "Email", "Risk"} <= models


# --- Sigma ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("logsource", "expected"), [
    (("windows", "process_creation", None), {"sysmon:1", "windows-security:4688"}),
    (("okta", None, "okta"), {"okta:system-log"}),
    ((None, "proxy", None), {"web-proxy:request"}),
    (("zeek", None, "dns"), {"zeek:dns"}),
    (("github", None, "audit"), {"github-audit:audit-event"}),
    (("m365", None, "threat_management"), {"m365-audit:alert"}),
    (("gcp", None, "google_workspace.login"), {"google-workspace:login"}),
])
def test_sigma_links(normalizer: Normalizer, logsource: tuple[str | None, ...], expected: set[str]) -> None:
    assert set(keys(normalizer, sigma(*logsource))) == expected


def test_sigma_generic_categories_reach_every_sensor(normalizer: Normalizer) -> None:
    assert {"nginx:access", "apache-httpd:access", "iis:access"} <= set(keys(normalizer, sigma(None, "webserver")))
    assert {"zeek:dns", "network-traffic:dns"} <= set(keys(normalizer, sigma(None, "dns")))
    assert "panos:traffic" in keys(normalizer, sigma(None, "firewall"))


def test_sigma_okta_event_type_names_the_authentication_event(normalizer: Normalizer) -> None:
    rule = sigma("okta", None, "okta", eq("eventType", "user.session.start"))
    assert keys(normalizer, rule) == ["okta:authentication"]


def test_sigma_windows_codes_do_not_link_on_linux(normalizer: Normalizer) -> None:
    found = keys(normalizer, sigma("linux", "process_creation", None, eq("EventID", "4688")))
    assert found and not any(k.startswith(("windows-", "sysmon:")) for k in found)


# --- Elastic -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("indexes", "expected"), [
    (["logs-okta*"], {"okta:system-log"}),
    (["filebeat-*", "logs-okta*"], {"okta:system-log"}),
    (["logs-o365.audit-*"], {"m365-audit:audit-record"}),
    (["logs-github.audit-*"], {"github-audit:audit-event"}),
    (["logs-network_traffic.dns*"], {"network-traffic:dns"}),
    (["logs-google_workspace.drive-*"], {"google-workspace:drive"}),
    (["logs-fortinet_fortigate.*"], {"fortigate:event"}),
    ([".alerts-security.*"], {"elastic-security-alerts:detection-alert"}),
])
def test_elastic_links_by_index(normalizer: Normalizer, indexes: list[str], expected: set[str]) -> None:
    assert set(keys(normalizer, elastic(indexes))) == expected


def test_elastic_dataset_test_picks_the_log(normalizer: Normalizer) -> None:
    rule = elastic(["logs-zeek.*"], eq("event.dataset", "zeek.smb_files"))
    assert keys(normalizer, rule) == ["zeek:smb_files"]
    o365 = elastic(["logs-o365.audit-*"], eq("event.dataset", "o365.audit"), eq("event.category", "authentication"))
    assert keys(normalizer, o365) == ["m365-audit:sign-in"]


def test_elastic_macos_process(normalizer: Normalizer) -> None:
    rule = elastic(["logs-endpoint.events.process-*"], eq("event.category", "process"),
                   eq("host.os.type", "macos"))
    found = keys(normalizer, rule)
    assert "esf:exec" in found
    assert not any(k.startswith(("sysmon:", "windows-", "auditd:")) for k in found)


def test_elastic_no_link(normalizer: Normalizer) -> None:
    assert keys(normalizer, elastic(["logs-foo.bar-*"])) == []
    linux = elastic(["logs-system.security*"], eq("event.code", "4688"), eq("host.os.type", "linux"))
    assert keys(normalizer, linux) == []  # a Windows-only provider on a Linux rule
    windows = elastic(["logs-system.security*"], eq("event.code", "4688"))
    assert keys(normalizer, windows) == ["windows-security:4688"]


# --- Splunk --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data_sources", "datamodels", "expected"), [
    (["Okta"], [], {"okta:system-log"}),
    (["O365 Universal Audit Log"], [], {"m365-audit:audit-record"}),  # not catalogued: a provider alias
    (["O365 UserLoginFailed"], [], {"m365-audit:sign-in"}),
    (["Suricata"], [], {"suricata:alert"}),
    (["Suricata"], ["Web"], {"suricata:http"}),  # the data model picks the provider's event
    (["Sysmon EventID 1"], ["Endpoint.Processes"], {"sysmon:1"}),
    (["Nginx Access"], ["Web"], {"nginx:access"}),
    (["Palo Alto Network Threat"], [], {"panos:threat"}),
    (["G Suite Gmail"], [], {"google-workspace:gmail"}),
])
def test_splunk_data_sources(normalizer: Normalizer, data_sources: list[str], datamodels: list[str],
                             expected: set[str]) -> None:
    assert set(keys(normalizer, splunk(data_sources, datamodels))) == expected


def test_splunk_source_naming_an_event(normalizer: Normalizer) -> None:
    assert keys(normalizer, splunk([], [], eq("sourcetype", "bro:dns:json"))) == ["zeek:dns"]
    assert keys(normalizer, splunk([], [], eq("sourcetype", "okta:im2"))) == ["okta:system-log"]


def test_splunk_datamodel_without_sources(normalizer: Normalizer) -> None:
    dns = set(keys(normalizer, splunk([], ["Network_Resolution.DNS"])))
    assert {"zeek:dns", "network-traffic:dns", "splunk-stream:dns"} <= dns
    assert all(k.split(":")[1] == "dns" for k in dns)
    assert keys(normalizer, splunk([], ["Risk.All_Risk"])) == ["splunk-es:risk"]
    assert "zeek:conn" in keys(normalizer, splunk([], ["Network_Traffic.All_Traffic"]))


def test_splunk_no_link(normalizer: Normalizer) -> None:
    assert keys(normalizer, splunk(["Some Unknown Appliance"])) == []
    assert keys(normalizer, splunk([], ["Endpoint.Processes"])) == []  # no endpoint event declares a data model
    linux = splunk([], [], eq("sourcetype", "linux_audit"), eq("EventCode", "4688"))
    assert keys(normalizer, linux) == []  # a Windows event code on the auditd sourcetype names nothing
