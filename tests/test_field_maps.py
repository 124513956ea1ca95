"""The vendor field maps (graph_schema/fields/): each Sigma log source's key fields, Splunk data-model,
renamed and raw-source fields, value-prefix fields, and the strict validation of every map."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graph_schema.errors import ConfigError
from graph_schema.field_catalog import FIELDS_DIR, FieldCatalog, read_yaml
from graph_schema.field_maps import FieldMaps
from loader.model import Operator, Predicate, Rule, Telemetry
from loader.normalize import CanonicalPredicate, Normalizer
from loader.normalize.fields import field_scope
from tests.conftest import ECS, REPO_ROOT

SYSMON = "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer.load(ECS)


def sigma_rule(logsource: str, *predicates: Predicate) -> Rule:
    """A Sigma rule of logsource `product/category/service` (empty parts are absent)."""
    product, category, service = (part or None for part in logsource.split("/"))
    rule = Rule("sigma", "s", "S", "s.yml", language="sigma",
                telemetry=Telemetry(product=product, category=category, service=service))
    rule.predicates = list(predicates)
    return rule


def splunk_rule(*predicates: Predicate, datamodels: tuple[str, ...] = ()) -> Rule:
    rule = Rule("splunk", "p", "P", "p.yml", language="spl")
    rule.predicates = list(predicates)
    rule.telemetry.datamodels = list(datamodels)
    return rule


def eq(name: str, value: str = "x") -> Predicate:
    return Predicate(name, Operator.EQ, value)


def last(normalizer: Normalizer, rule: Rule) -> CanonicalPredicate:
    """The canonical form of the rule's last predicate (the one under test; earlier ones set the scene)."""
    return normalizer.canonical(rule)[-1]


@pytest.mark.parametrize(("logsource", "field", "canonical"), [
    ("windows/process_creation/", "Image", "process.executable"),
    ("windows/process_creation/", "OriginalFileName", "process.pe.original_file_name"),
    ("windows/process_creation/", "ParentCommandLine", "process.parent.command_line"),
    ("windows/process_creation/", "User", "user.name"),
    ("windows/process_creation/", "IntegrityLevel", "process.Ext.token.integrity_level_name"),
    ("windows/process_creation/", "Company", "process.pe.company"),
    ("linux/process_creation/", "CommandLine", "process.command_line"),
    ("macos/process_creation/", "ParentImage", "process.parent.executable"),
    ("windows/registry_set/", "TargetObject", "registry.path"),
    ("windows/registry_set/", "Details", "registry.data.strings"),
    ("windows/registry_event/", "Image", "process.executable"),
    ("windows/file_event/", "TargetFilename", "file.path"),
    ("windows/file_event/", "Image", "process.executable"),
    ("linux/file_event/", "TargetFilename", "file.path"),
    ("macos/file_event/", "TargetFilename", "file.path"),
    ("windows/file_rename/", "SourceFilename", "file.Ext.original.path"),
    ("windows/file_access/", "FileName", "file.path"),
    ("windows/network_connection/", "DestinationIp", "destination.ip"),
    ("windows/network_connection/", "DestinationPort", "destination.port"),
    ("windows/network_connection/", "DestinationHostname", "destination.domain"),
    ("windows/network_connection/", "Initiated", "network.direction"),
    ("linux/network_connection/", "DestinationHostname", "destination.domain"),
    ("windows/dns_query/", "QueryName", "dns.question.name"),
    ("windows/image_load/", "ImageLoaded", "dll.path"),
    ("windows/image_load/", "Signed", "dll.code_signature.exists"),
    ("windows/image_load/", "Image", "process.executable"),
    ("windows/driver_load/", "ImageLoaded", "file.path"),
    ("windows/pipe_created/", "PipeName", "file.name"),
    ("windows/process_access/", "SourceImage", "process.executable"),
    ("windows/process_access/", "TargetImage", "winlog.event_data.TargetImage"),
    ("windows/process_access/", "GrantedAccess", "winlog.event_data.GrantedAccess"),
    ("windows/create_remote_thread/", "SourceImage", "process.executable"),
    ("windows/wmi_event/", "Destination", "winlog.event_data.Destination"),
    ("windows/ps_script/", "ScriptBlockText", "powershell.file.script_block_text"),
    ("windows/ps_module/", "Payload", "powershell.file.script_block_text"),
    ("windows/ps_classic_start/", "Data", "winlog.event_data.Data"),
    ("windows//security", "EventID", "event.code"),
    ("windows//security", "SubjectUserName", "user.name"),
    ("windows//security", "TargetUserName", "winlog.event_data.TargetUserName"),
    ("windows//security", "ProcessName", "process.executable"),
    ("windows//security", "IpAddress", "source.ip"),
    ("windows//system", "ServiceName", "service.name"),
    ("windows//system", "ImagePath", "winlog.event_data.ImagePath"),
    ("windows//system", "Provider_Name", "winlog.provider_name"),
    ("linux//auditd", "exe", "process.executable"),
    ("linux//auditd", "type", "auditd.message_type"),
    ("linux//auditd", "a0", "auditd.data.a0"),
    ("kubernetes//audit", "verb", "kubernetes.audit.verb"),
    ("kubernetes//audit", "objectRef.resource", "kubernetes.audit.objectRef.resource"),
    ("kubernetes/application/audit", "objectRef.subresource", "kubernetes.audit.objectRef.subresource"),
    ("aws//cloudtrail", "eventName", "event.action"),
    ("aws//cloudtrail", "eventSource", "event.provider"),
    ("aws//cloudtrail", "userIdentity.type", "aws.cloudtrail.user_identity.type"),
    ("aws//cloudtrail", "requestParameters.bucketName", "aws.cloudtrail.flattened.request_parameters.bucketName"),
    ("azure//activitylogs", "operationName", "azure.activitylogs.operation_name"),
    ("azure//signinlogs", "ResultType", "azure.signinlogs.properties.status.error_code"),
    ("azure//auditlogs", "OperationName", "azure.auditlogs.operation_name"),
    ("gcp//gcp.audit", "gcp.audit.method_name", "gcp.audit.method_name"),
    ("gcp//gcp.audit", "data.protoPayload.methodName", "gcp.audit.method_name"),
    ("m365//audit", "Operation", "event.action"),
    ("okta//okta", "eventType", "event.action"),
    ("okta//okta", "actor.alternateId", "okta.actor.alternate_id"),
    ("/proxy/", "c-uri", "url.original"),
    ("/proxy/", "cs-host", "url.domain"),
    ("/proxy/", "c-useragent", "user_agent.original"),
    ("/webserver/", "cs-uri-query", "url.query"),
    ("/firewall/", "dst_port", "destination.port"),
    ("/dns/", "query", "dns.question.name"),
    ("zeek//dns", "query", "dns.question.name"),
    ("zeek//http", "id.resp_h", "destination.ip"),
    ("zeek//dce_rpc", "operation", "zeek.dce_rpc.operation"),
    ("/antivirus/", "Signature", "rule.name"),
])
def test_sigma_logsource_fields(normalizer: Normalizer, logsource: str, field: str, canonical: str) -> None:
    rule = sigma_rule(logsource, eq(field))
    c = last(normalizer, rule)
    assert (c.field, c.vendor_field) == (canonical, f"sigma|{field_scope(rule)}|{field}")
    assert c.field_kind == ("ecs" if normalizer.catalog.lookup(canonical).kind == "ecs" else "extension")


def test_sigma_image_means_the_acting_process_everywhere(normalizer: Normalizer) -> None:
    """`Image` is the new process in process_creation and the acting process elsewhere: one canonical field,
    while the Sigma spelling stays one VendorField per logsource."""
    forms = {last(normalizer, sigma_rule(f"windows/{cat}/", Predicate("Image", Operator.ENDSWITH, "\\rundll32.exe")))
             for cat in ("process_creation", "registry_set", "file_event", "network_connection", "image_load")}
    assert {(c.field, c.operator, c.value) for c in forms} == {("process.name", "eq", "rundll32.exe")}
    assert len({c.vendor_field for c in forms}) == 5


@pytest.mark.parametrize(("logsource", "value", "expected"), [
    ("windows/process_creation/", "IMPHASH=ABCDEF", ("process.pe.imphash", "eq", "abcdef")),
    ("windows/process_creation/", "SHA256=AA11", ("process.hash.sha256", "eq", "aa11")),
    ("windows/driver_load/", "SHA1=BB22", ("file.hash.sha1", "eq", "bb22")),
    ("windows/image_load/", "MD5=CC33", ("dll.hash.md5", "eq", "cc33")),
    ("windows/create_stream_hash/", "IMPHASH=DD44", ("file.pe.imphash", "eq", "dd44")),
    ("windows/process_creation/", "ABCDEF", ("winlog.event_data.Hashes", "contains", "abcdef")),
])
def test_hashes_value_prefix(normalizer: Normalizer, logsource: str, value: str, expected: tuple[str, str, str]) -> \
        None:
    c = last(normalizer, sigma_rule(logsource, Predicate("Hashes", Operator.CONTAINS, value)))
    assert (c.field, c.operator, c.value) == expected


@pytest.mark.parametrize(("name", "datamodels", "canonical"), [
    ("Processes.process_name", ("Endpoint.Processes",), "process.name"),
    ("Processes.process", ("Endpoint.Processes",), "process.command_line"),
    ("Processes.parent_process_name", ("Endpoint.Processes",), "process.parent.name"),
    ("Processes.original_file_name", ("Endpoint.Processes",), "process.pe.original_file_name"),
    ("Processes.process_integrity_level", ("Endpoint.Processes",), "process.Ext.token.integrity_level_name"),
    ("Registry.registry_path", ("Endpoint.Registry",), "registry.path"),
    ("Registry.registry_value_data", ("Endpoint.Registry",), "registry.data.strings"),
    ("Registry.registry_value_name", ("Endpoint.Registry",), "registry.value"),
    ("Filesystem.file_path", ("Endpoint.Filesystem",), "file.path"),
    ("Filesystem.file_name", ("Endpoint.Filesystem",), "file.name"),
    ("All_Traffic.dest_port", ("Network_Traffic.All_Traffic",), "destination.port"),
    ("All_Traffic.app", ("Network_Traffic",), "network.protocol"),
    ("DNS.query", ("Network_Resolution.DNS",), "dns.question.name"),
    ("Web.url", ("Web",), "url.original"),
    ("Web.http_method", ("Web",), "http.request.method"),
    ("Authentication.user", ("Authentication",), "user.name"),
    ("All_Changes.action", ("Change",), "event.action"),
    ("Services.service_name", ("Endpoint.Services",), "service.name"),
    ("All_Email.subject", ("Email",), "email.subject"),
    # `tstats ... by Processes.process_name | `drop_dm_object_name(Processes)``: the bare name that remains
    ("process_name", ("Endpoint.Processes",), "process.name"),
    ("parent_process", ("Endpoint.Processes",), "process.parent.command_line"),
    ("registry_path", ("Endpoint.Registry",), "registry.path"),
    ("dest_port", ("Network_Traffic.All_Traffic",), "destination.port"),
    ("query", ("Network_Resolution.DNS",), "dns.question.name"),
    # a data-model field ECS has no field for
    ("All_Risk.analyticstories", ("Risk.All_Risk",), "cim.All_Risk.analyticstories"),
    ("Processes.made_up_field", ("Endpoint.Processes",), "cim.Processes.made_up_field"),
])
def test_splunk_datamodel_fields(normalizer: Normalizer, name: str, datamodels: tuple[str, ...], canonical: str) -> \
        None:
    assert last(normalizer, splunk_rule(eq(name), datamodels=datamodels)).field == canonical


@pytest.mark.parametrize(("source", "code", "field", "canonical"), [
    (SYSMON, "1", "Image", "process.executable"),
    (SYSMON, "1", "Hashes", "process.pe.imphash"),
    (SYSMON, "3", "DestinationIp", "destination.ip"),
    (SYSMON, "6", "ImageLoaded", "file.path"),
    (SYSMON, "7", "ImageLoaded", "dll.path"),
    (SYSMON, "7", "loaded_file_path", "dll.path"),
    (SYSMON, "10", "SourceImage", "process.executable"),
    (SYSMON, "10", "TargetImage", "winlog.event_data.TargetImage"),
    (SYSMON, "10", "granted_access", "winlog.event_data.GrantedAccess"),
    (SYSMON, "11", "TargetFilename", "file.path"),
    (SYSMON, "13", "TargetObject", "registry.path"),
    (SYSMON, "17", "PipeName", "file.name"),
    (SYSMON, "22", "QueryName", "dns.question.name"),
    (SYSMON, "22", "process_name", "process.name"),
    (SYSMON, "22", "EventCode", "event.code"),
    (SYSMON, "22", "source", "splunk.source"),
    ("XmlWinEventLog:Security", "4624", "Logon_Type", "winlog.event_data.LogonType"),
    ("XmlWinEventLog:Security", "4688", "SubjectUserName", "user.name"),
    ("XmlWinEventLog:Security", "4769", "TicketOptions", "winlog.event_data.TicketOptions"),
    ("XmlWinEventLog:System", "7045", "ServiceName", "service.name"),
    ("XmlWinEventLog:System", "7045", "ImagePath", "winlog.event_data.ImagePath"),
    ("XmlWinEventLog:Microsoft-Windows-PowerShell/Operational", "4104", "ScriptBlockText",
     "powershell.file.script_block_text"),
    ("XmlWinEventLog:Microsoft-Windows-TaskScheduler/Operational", "106", "TaskName", "winlog.event_data.TaskName"),
    ("aws_cloudtrail", None, "eventName", "event.action"),
    ("aws_cloudtrail", None, "requestParameters.bucketName", "aws.cloudtrail.flattened.request_parameters.bucketName"),
    ("aws_cloudtrail", None, "userIdentity.type", "aws.cloudtrail.user_identity.type"),
    ("Okta", None, "eventType", "event.action"),
    ("Okta", None, "outcome.result", "okta.outcome.result"),
    ("o365", None, "Operation", "event.action"),
    ("o365", None, "Workload", "event.provider"),
    ("o365", None, "ModifiedProperties{}.Name", "o365.audit.ModifiedProperties.Name"),
    ("Azure AD", None, "properties.status.errorCode", "azure.signinlogs.properties.status.errorCode"),
    ("kubernetes", None, "objectRef.resource", "kubernetes.audit.objectRef.resource"),
    ("kubernetes", None, "verb", "kubernetes.audit.verb"),
    ("/var/log/audit/audit.log", None, "process_exec", "process.command_line"),
    ("/var/log/audit/audit.log", None, "a1", "auditd.data.a1"),
    ("Syslog:Linux-Sysmon/Operational", "1", "CommandLine", "process.command_line"),
    ("suricata", None, "http.url", "url.original"),
    ("stream:http", None, "http_method", "http.request.method"),
])
def test_splunk_raw_source_fields(normalizer: Normalizer, source: str, code: str | None, field: str,
                                  canonical: str) -> None:
    scene = [eq("source", source), *([eq("EventCode", code)] if code else [])]
    value = "IMPHASH=ab" if field == "Hashes" else "x"
    assert last(normalizer, splunk_rule(*scene, eq(field, value))).field == canonical


def test_splunk_sourcetype_and_metadata_are_context(normalizer: Normalizer) -> None:
    forms = normalizer.canonical(splunk_rule(eq("sourcetype", "aws:cloudtrail"), eq("index", "main"),
                                             eq("eventtype", "wineventlog_security")))
    assert [(c.field, c.context) for c in forms] == [("splunk.sourcetype", True), ("splunk.index", True),
                                                     ("splunk.eventtype", True)]


def test_the_same_activity_is_one_indicator_across_vendors(normalizer: Normalizer) -> None:
    """Registry, DNS, script-block and Kubernetes indicators written three ways collapse to one key each."""
    run_key = "\\software\\microsoft\\windows\\currentversion\\run\\evil"
    registry = {
        last(normalizer, sigma_rule("windows/registry_set/", Predicate("TargetObject", Operator.ENDSWITH, run_key))),
        last(normalizer, splunk_rule(Predicate("Registry.registry_path", Operator.WILDCARD, f"*{run_key}"),
                                     datamodels=("Endpoint.Registry",))),
        last(normalizer, splunk_rule(eq("source", SYSMON), eq("EventCode", "13"),
                                     Predicate("TargetObject", Operator.WILDCARD, f"*{run_key}"))),
    }
    assert len({c.key for c in registry}) == 1
    dns = [last(normalizer, sigma_rule("windows/dns_query/", eq("QueryName", "api.telegram.org"))),
           last(normalizer, sigma_rule("/dns/", eq("query", "api.telegram.org"))),
           last(normalizer, splunk_rule(eq("DNS.query", "api.telegram.org"), datamodels=("Network_Resolution",)))]
    elastic = Rule("elastic", "e", "E", "e.toml", language="eql")
    elastic.predicates = [Predicate("dns.question.name", Operator.EQ, "api.telegram.org", modifiers=(":",))]
    dns.append(normalizer.canonical(elastic)[0])
    assert len({c.key for c in dns}) == 1
    script = {last(normalizer, sigma_rule("windows/ps_script/", Predicate("ScriptBlockText", Operator.CONTAINS,
                                                                          "Get-Clipboard"))),
              last(normalizer, splunk_rule(eq("source", "XmlWinEventLog:Microsoft-Windows-PowerShell/Operational"),
                                           Predicate("ScriptBlockText", Operator.WILDCARD, "*get-clipboard*")))}
    assert len({c.key for c in script}) == 1
    pods = {last(normalizer, sigma_rule("kubernetes//audit", eq("objectRef.resource", "pods"))),
            last(normalizer, splunk_rule(eq("source", "kubernetes"), eq("objectRef.resource", "pods")))}
    assert len({c.key for c in pods}) == 1


def test_meanings_that_differ_stay_apart(normalizer: Normalizer) -> None:
    """The loaded image is not the loading process; a driver file is not a DLL; a pipe name is not a path."""
    image_load = [last(normalizer, sigma_rule("windows/image_load/", Predicate(f, Operator.ENDSWITH, "\\x.dll")))
                  for f in ("ImageLoaded", "Image")]
    driver = last(normalizer, sigma_rule("windows/driver_load/", Predicate("ImageLoaded", Operator.ENDSWITH,
                                                                           "\\x.dll")))
    assert [c.field for c in image_load] == ["dll.name", "process.name"] and driver.field == "file.name"
    target = last(normalizer, sigma_rule("windows/process_access/", eq("TargetImage", "lsass.exe")))
    source = last(normalizer, sigma_rule("windows/process_access/", eq("SourceImage", "lsass.exe")))
    assert target.key != source.key


# -- validation ------------------------------------------------------------------------------------------------

@pytest.fixture
def maps_dir(tmp_path: Path) -> Path:
    """A copy of graph_schema/fields/ to break."""
    shutil.copytree(FIELDS_DIR, tmp_path / "fields")
    return tmp_path / "fields"


def load_maps(directory: Path) -> FieldMaps:
    return FieldMaps.load(FieldCatalog.load(ECS, directory / "canonical.yml"), directory)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_shipped_maps_load(maps_dir: Path) -> None:
    maps = load_maps(maps_dir)
    assert maps.sigma.entries and maps.splunk.datamodels and maps.splunk.sources


@pytest.mark.parametrize(("file", "text", "message"), [
    ("sigma.yml", "  - match: {product: windows}\n    fields: {Foo: process.made_up}\n",
     r"logsources\[\d+\]\.fields\.Foo: 'process.made_up' is neither an ECS 9.5.0 field nor a declared extension"),
    ("sigma.yml", "  - match: {product: windows}\n    prefix: made_up\n",
     r"prefix 'made_up' is not a namespace declared"),
    ("sigma.yml", "  - match: {product: aws}\n    nested: {requestParameters: process.request}\n",
     r"nested\.requestParameters: 'process.request' is not below a namespace"),
    ("sigma.yml", "  - match: {product: windows}\n    use: [no_such_section]\n",
     r"unknown section\(s\) 'no_such_section'"),
    ("sigma.yml", "  - match: {vendor: windows}\n", r"unknown logsource key\(s\) vendor"),
    ("sigma.yml", "  - match: {product: windows}\n    fields: {Hashes: {value_prefix: {'X=': file.made_up}}}\n",
     r"fields\.Hashes: 'file.made_up' is neither"),
    ("splunk.yml", "  - match: [foo]\n    fields: {bar: made.up}\n",
     r"sources\[\d+\]\.fields\.bar: 'made.up' is neither"),
])
def test_a_map_naming_an_unknown_field_is_an_error(maps_dir: Path, file: str, text: str, message: str) -> None:
    append(maps_dir / file, text)
    with pytest.raises(ConfigError, match=message):
        load_maps(maps_dir)


def test_datamodel_prefix_must_be_a_namespace(maps_dir: Path) -> None:
    path = maps_dir / "splunk.yml"
    path.write_text(path.read_text().replace("datamodel_prefix: cim", "datamodel_prefix: nowhere"))
    with pytest.raises(ConfigError, match="prefix 'nowhere' is not a namespace"):
        load_maps(maps_dir)


def test_an_extension_may_not_shadow_ecs(maps_dir: Path) -> None:
    append(maps_dir / "canonical.yml", "  process.name: \"not an extension\"\n")  # under `fields:`, the last key
    with pytest.raises(ConfigError, match="extension field 'process.name' is already an ECS field"):
        FieldCatalog.load(ECS, maps_dir / "canonical.yml")


def test_every_extension_is_documented() -> None:
    """Each namespace and single extension field of canonical.yml is named in docs/fields.md."""
    doc = read_yaml(FIELDS_DIR / "canonical.yml")
    text = (REPO_ROOT / "docs" / "fields.md").read_text()
    missing = [name for name in [*doc["namespaces"], *doc.get("fields", {})] if f"`{name}" not in text]
    assert missing == []
