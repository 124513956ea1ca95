"""Splunk data sources and the events they stand for (loader/splunk/datasources.py)."""
from __future__ import annotations

import pytest

from loader.model import EventRef
from loader.splunk.datasources import load_data_sources


@pytest.fixture(scope="module")
def catalog(fixtures):
    root = fixtures / "splunk"
    return load_data_sources(root / "data_sources", root)


def test_datasources_event_from_trailing_number(catalog):
    sysmon = catalog.sources["Sysmon EventID 1"]
    assert sysmon.event == EventRef("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "1")
    assert catalog.sources["Windows Event Log Security 4688"].event == EventRef("XmlWinEventLog:Security", "4688")


def test_datasources_event_from_base_data_source_name(catalog):
    assert catalog.sources["AWS CloudTrail ConsoleLogin"].event == EventRef("aws_cloudtrail", "ConsoleLogin")
    assert catalog.sources["AWS CloudTrail"].event is None


def test_datasources_event_from_example_log(catalog):
    assert catalog.sources["CrowdStrike ProcessRollup2"].event == EventRef("crowdstrike", "ProcessRollup2")


def test_datasources_no_event_without_evidence(catalog):
    assert catalog.sources["Okta"].event is None
    assert catalog.sources["Windows Event Log Security"].event is None


def test_datasources_fields_copied(catalog):
    sysmon = catalog.sources["Sysmon EventID 1"]
    assert sysmon.vendor == "splunk" and sysmon.source_id == "b375f4d1-d7ca-4bc0-9103-294825c0af17"
    assert sysmon.sourcetype == "xmlwineventlog" and sysmon.fields == ["CommandLine", "EventID", "Image"]
    assert sysmon.supported_tas == ["Splunk Add-on for Sysmon"]
    assert sysmon.path == "data_sources/sysmon_eventid_1.yml"
    assert catalog.sources["CrowdStrike ProcessRollup2"].supported_tas == [
        "CrowdStrike Falcon Event Streams Technical Add-On"]


def test_datasources_unreadable_file_is_a_failure(catalog):
    assert [(f.path, f.reason) for f in catalog.failures] == [
        ("data_sources/broken.yml", "invalid YAML at line 3, column 1: did not find expected ',' or ']'")]


def test_datasources_named_splits_and_lists(catalog):
    assert [d.name for d in catalog.named("Sysmon EventID 1 AND Okta")] == ["Sysmon EventID 1", "Okta"]
    assert catalog.named("Nothing Like This") == []
