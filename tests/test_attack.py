"""Tests for loader.attack: reading ATT&CK STIX bundles into an AttackCatalog."""
from __future__ import annotations

import copy
import gc
import gzip
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from graph_schema.errors import BundleError
from loader.attack import AttackCatalog, build_catalog, read_attack

PRIMITIVES = (str, int, float, bool, type(None))


@pytest.fixture(scope="module")
def bundle_path(fixtures: Path) -> Path:
    """The hand-written bundle, plain JSON."""
    return fixtures / "attack" / "enterprise-attack.json"


@pytest.fixture(scope="module")
def catalog(bundle_path: Path) -> AttackCatalog:
    """The hand-written bundle, read."""
    return read_attack(bundle_path)


@pytest.fixture()
def objects(bundle_path: Path) -> list[dict[str, Any]]:
    """A fresh copy of the hand-written bundle's objects, to break."""
    return copy.deepcopy(json.loads(bundle_path.read_text())["objects"])


def _by_attack_id(objects: list[dict[str, Any]], attack_id: str) -> dict[str, Any]:
    """The object whose mitre-attack external id is `attack_id` (not a course-of-action)."""
    return next(
        o for o in objects
        if o["type"] != "course-of-action"
        and any(r.get("external_id") == attack_id for r in o.get("external_references", []))
    )


def test_read_attack_fixture_counts(catalog: AttackCatalog) -> None:
    assert catalog.version == "18.1"
    assert list(catalog.techniques) == ["T1059", "T1059.001", "T1609", "T1647"]
    assert list(catalog.retired) == ["T1064", "T1086", "T1150", "T1547.011"]
    assert list(catalog.strategies) == ["DET0065"]
    assert list(catalog.analytics) == ["AN0177", "AN9178"]
    assert list(catalog.data_components) == ["DC0032", "DC0064", "DC0121"]
    assert catalog.issues == ()


def test_read_attack_tactics_in_matrix_order(catalog: AttackCatalog) -> None:
    assert list(catalog.tactics) == ["TA0043", "TA0002", "TA0003", "TA0005"]
    assert [t.order for t in catalog.tactics.values()] == [0, 1, 2, 3]
    execution = catalog.tactics["TA0002"]
    assert (execution.shortname, execution.name) == ("execution", "Execution")
    assert execution.url == "https://attack.mitre.org/tactics/TA0002"


@pytest.mark.parametrize("form", ["enterprise-attack.json.gz", "enterprise-attack"])
def test_read_attack_forms_agree(fixtures: Path, catalog: AttackCatalog, form: str) -> None:
    other = read_attack(fixtures / "attack" / form)
    assert other.source.endswith(form)
    assert replace(other, source=catalog.source) == catalog


def test_read_attack_folder_keeps_newest_copy(fixtures: Path) -> None:
    folder = read_attack(fixtures / "attack" / "enterprise-attack")
    assert folder.techniques["T1609"].name == "Container Administration Command"
    assert folder.techniques["T1609"].version == "1.3"


def test_technique_fields(catalog: AttackCatalog) -> None:
    t = catalog.techniques["T1609"]
    assert t.name == "Container Administration Command"
    assert t.tactics == ("execution",)
    assert t.platforms == ("Containers",)
    assert t.url == "https://attack.mitre.org/techniques/T1609"
    assert t.stix_id == "attack-pattern--7b50a1d3-4ca7-45d1-989d-a6503f04bfe1"
    assert (t.is_subtechnique, t.parent_id, t.revoked, t.deprecated) == (False, None, False, False)


def test_technique_subtechnique_parent(catalog: AttackCatalog) -> None:
    sub = catalog.techniques["T1059.001"]
    assert (sub.is_subtechnique, sub.parent_id) == (True, "T1059")


def test_technique_tactics_only_mitre_attack_chain(catalog: AttackCatalog) -> None:
    assert catalog.techniques["T1059.001"].tactics == ("execution",)


def test_technique_description_kept_whole(catalog: AttackCatalog) -> None:
    assert catalog.techniques["T1059"].description.endswith("\n\nMore text.")


def test_revoked_map_direct_replacements(catalog: AttackCatalog) -> None:
    assert catalog.revoked == {"T1086": "T1059.001", "T1150": "T1547.011", "T1547.011": "T1647"}
    assert catalog.retired["T1150"].revoked is True


def test_deprecated_ids(catalog: AttackCatalog) -> None:
    assert catalog.deprecated == frozenset({"T1064"})


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("T1609", ("T1609", "active")),
        ("t1059.001", ("T1059.001", "active")),
        ("T1086", ("T1059.001", "revoked→T1059.001")),
        ("T1150", ("T1647", "revoked→T1647")),  # chain: T1150 → T1547.011 → T1647
        ("T1064", (None, "deprecated")),
        ("T9999", (None, "unknown")),
        ("T1059.999", (None, "unknown")),
    ],
)
def test_resolve_cases(catalog: AttackCatalog, tag: str, expected: tuple[str | None, str]) -> None:
    assert catalog.resolve(tag) == expected


def test_resolve_revoked_without_replacement(objects: list[dict[str, Any]]) -> None:
    objects = [o for o in objects if o["id"] != "relationship--0a6e5b1c-0002-4c3a-8f00-000000000002"]
    catalog = build_catalog(objects, "mem")
    assert catalog.resolve("T1086") == (None, "revoked")


def test_resolve_revoked_cycle_ends(objects: list[dict[str, Any]]) -> None:
    t1150 = _by_attack_id(objects, "T1150")["id"]
    last = next(o for o in objects if o["id"] == "relationship--0a6e5b1c-0004-4c3a-8f00-000000000004")
    last["target_ref"] = t1150  # T1150 → T1547.011 → T1150
    catalog = build_catalog(objects, "mem")
    assert catalog.revoked["T1547.011"] == "T1150"
    assert catalog.resolve("T1150") == (None, "revoked→T1150")


def test_strategy_links(catalog: AttackCatalog) -> None:
    det = catalog.strategies["DET0065"]
    assert det.techniques == ("T1609",)
    assert det.analytics == ("AN0177", "AN9178")
    assert catalog.strategies_for("T1609") == [det]
    assert catalog.strategies_for("T1059") == []


def test_analytic_fields(catalog: AttackCatalog) -> None:
    an = catalog.analytics["AN0177"]
    assert an.strategy_id == "DET0065"
    assert an.platforms == ("Containers",)
    assert an.data_components == ("DC0064", "DC0032")
    assert an.mutable_fields == ("AuthorizedAdminUsers",)
    assert catalog.analytics["AN9178"].data_components == ("DC0032",)


def test_log_sources_from_analytics_and_components(catalog: AttackCatalog) -> None:
    by_owner = {(r.analytic_id, r.data_component_id, r.name, r.channel) for r in catalog.log_sources}
    assert ("AN9178", "DC0032", "WinEventLog:Sysmon", "EventCode=1") in by_owner
    assert ("AN0177", "DC0064", "docker:daemon",
            "docker exec or docker run with unexpected command/entrypoint") in by_owner
    assert (None, "DC0032", "WinEventLog:Security", "EventCode=4688") in by_owner
    assert len(catalog.log_sources) == 6


def test_data_component_deprecated(catalog: AttackCatalog) -> None:
    assert catalog.data_components["DC0121"].deprecated is True
    assert catalog.data_components["DC0032"].name == "Process Creation"


def test_to_row_primitives_only(catalog: AttackCatalog) -> None:
    records = [
        *catalog.tactics.values(), *catalog.techniques.values(), *catalog.retired.values(),
        *catalog.strategies.values(), *catalog.analytics.values(), *catalog.data_components.values(),
        *catalog.log_sources,
    ]
    for record in records:
        for value in record.to_row().values():
            items = value if isinstance(value, list) else [value]
            assert all(isinstance(v, PRIMITIVES) for v in items), (record, value)
    assert catalog.techniques["T1059"].to_row()["platforms"] == ["Linux", "macOS", "Windows"]


def test_build_catalog_bad_objects_become_issues(objects: list[dict[str, Any]]) -> None:
    _by_attack_id(objects, "T1647")["name"] = 42
    _by_attack_id(objects, "DET0065")["x_mitre_analytic_refs"].append("x-mitre-analytic--00000000-dead")
    _by_attack_id(objects, "AN9178")["x_mitre_log_source_references"][0]["x_mitre_data_component_ref"] = (
        "x-mitre-data-component--00000000-gone"
    )
    _by_attack_id(objects, "T1059")["x_mitre_platforms"] = "Windows"
    matrix = next(o for o in objects if o["type"] == "x-mitre-matrix")
    matrix["tactic_refs"].remove(_by_attack_id(objects, "TA0043")["id"])
    catalog = build_catalog(objects, "mem")
    issues = "\n".join(catalog.issues)
    assert "T1647" not in catalog.techniques and "name is not a string" in issues
    assert "T1059" not in catalog.techniques and "x_mitre_platforms is not a list of strings" in issues
    assert "DET0065: x-mitre-analytic--00000000-dead is not in the bundle" in issues
    assert "AN9178: x-mitre-data-component--00000000-gone is not in the bundle" in issues
    assert catalog.analytics["AN9178"].data_components == ("DC0032",)
    assert list(catalog.tactics)[-1] == "TA0043" and "ordered last" in issues
    assert len(catalog.issues) == 5


def test_build_catalog_object_without_attack_id_is_issue(objects: list[dict[str, Any]]) -> None:
    analytic = _by_attack_id(objects, "AN9178")
    analytic["external_references"] = []
    catalog = build_catalog(objects, "mem")
    assert list(catalog.analytics) == ["AN0177"]
    assert f"{analytic['id']}: skipped: ValueError: no external_id" in catalog.issues
    assert f"DET0065: {analytic['id']} is not in the bundle" in catalog.issues


def test_read_attack_restores_gc(bundle_path: Path, tmp_path: Path) -> None:
    read_attack(bundle_path)
    assert gc.isenabled()
    with pytest.raises(BundleError):
        read_attack(tmp_path)
    assert gc.isenabled()


def test_build_catalog_dangling_relationship_is_issue(objects: list[dict[str, Any]]) -> None:
    rel = next(o for o in objects if o["id"] == "relationship--0a6e5b1c-0005-4c3a-8f00-000000000005")
    rel["target_ref"] = "attack-pattern--00000000-gone"
    catalog = build_catalog(objects, "mem")
    assert catalog.strategies["DET0065"].techniques == ()
    assert catalog.issues == (
        "relationship--0a6e5b1c-0005-4c3a-8f00-000000000005: detects "
        "x-mitre-detection-strategy--e9a74ecb-cc65-4c21-ae40-850e3317c248 -> attack-pattern--00000000-gone: "
        "an end is not in the bundle",
    )


def test_build_catalog_duplicate_id_is_issue(objects: list[dict[str, Any]]) -> None:
    twin = copy.deepcopy(_by_attack_id(objects, "T1609"))
    twin["id"] = "attack-pattern--11111111-2222-3333-4444-555555555555"
    catalog = build_catalog([*objects, twin], "mem")
    assert catalog.techniques["T1609"].stix_id == "attack-pattern--7b50a1d3-4ca7-45d1-989d-a6503f04bfe1"
    assert catalog.issues == (f"{twin['id']}: skipped: T1609 repeats {catalog.techniques['T1609'].stix_id}",)


def test_build_catalog_without_collection_has_no_version(objects: list[dict[str, Any]]) -> None:
    catalog = build_catalog([o for o in objects if o["type"] != "x-mitre-collection"], "mem")
    assert catalog.version is None


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.json", b"{ not json", "not readable as (gzipped) JSON"),
        ("broken.json.gz", b"\x1f\x8b\x08\x00garbage", "not readable as (gzipped) JSON"),
        ("truncated.json.gz", gzip.compress(b'{"type": "bundle", "objects": [')[:-6], "not readable"),
        ("latin1.json", '{"name": "caf\xe9"}'.encode("latin-1"), "not readable as (gzipped) JSON"),
        ("list.json", b"[1, 2]", "not STIX: the top level is a JSON list"),
        ("empty.json", b'{"type": "bundle", "id": "bundle--1", "objects": []}', "no objects"),
        ("missing.json", b'{"type": "bundle", "id": "bundle--1"}', "no objects"),
        ("other.json", b'{"hello": "world"}', "not STIX: neither a bundle nor an object"),
        ("item.json", b'{"type": "bundle", "id": "bundle--1", "objects": [{"type": "x"}]}', "objects[0]"),
        ("noap.json", b'{"type": "bundle", "id": "bundle--1", "objects": [{"type": "tool", "id": "tool--1"}]}',
         "no attack-pattern"),
    ],
)
def test_read_attack_bad_bundle_raises(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BundleError) as err:
        read_attack(path)
    message = str(err.value)
    assert name in message and reason in message
    assert "\n" not in message


def test_read_attack_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no such file or folder"):
        read_attack(tmp_path / "nope.json")


def test_read_attack_empty_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no .json or .json.gz STIX files"):
        read_attack(tmp_path)


def test_read_attack_folder_bad_file_named(tmp_path: Path, bundle_path: Path) -> None:
    (tmp_path / "good.json").write_bytes(bundle_path.read_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.json").write_text("{")
    with pytest.raises(BundleError) as err:
        read_attack(tmp_path)
    assert "sub/bad.json" in str(err.value)


@pytest.fixture(scope="module")
def real(corpora: Path) -> AttackCatalog:
    """The real ATT&CK 18.1 Enterprise bundle, read once."""
    return read_attack(corpora / "attack" / "enterprise-attack.json.gz")


@pytest.mark.corpus
def test_corpus_counts(real: AttackCatalog) -> None:
    assert len(real.techniques) == 691
    assert len(real.retired) == 835 - 691
    assert len(real.deprecated) == 12
    assert len(real.strategies) == 691
    assert len(real.analytics) == 1739
    assert len(real.data_components) == 109
    assert real.issues == ()


@pytest.mark.corpus
def test_corpus_tactics_in_matrix_order(real: AttackCatalog) -> None:
    tactics = list(real.tactics.values())
    assert len(tactics) == 14
    assert (tactics[0].id, tactics[0].name) == ("TA0043", "Reconnaissance")
    assert (tactics[-1].id, tactics[-1].name) == ("TA0040", "Impact")
    assert [t.order for t in tactics] == list(range(14))


@pytest.mark.corpus
def test_corpus_technique_t1609(real: AttackCatalog) -> None:
    t = real.techniques["T1609"]
    assert t.name == "Container Administration Command"
    assert "execution" in t.tactics


@pytest.mark.corpus
def test_corpus_techniques_consistent(real: AttackCatalog) -> None:
    shortnames = {t.shortname for t in real.tactics.values()}
    for t in real.techniques.values():
        assert set(t.tactics) <= shortnames and t.tactics, t.id
        assert t.parent_id is None or t.parent_id in real.techniques, t.id


@pytest.mark.corpus
def test_corpus_revoked_resolve_to_replacements(real: AttackCatalog) -> None:
    assert real.resolve("T1086") == ("T1059.001", "revoked→T1059.001")
    assert real.resolve("T1150") == ("T1647", "revoked→T1647")
    assert all(real.resolve(old)[0] in real.techniques for old in real.revoked)


@pytest.mark.corpus
def test_corpus_t1609_strategy_analytics_log_sources(real: AttackCatalog) -> None:
    strategies = real.strategies_for("T1609")
    assert [s.id for s in strategies] == ["DET0065"]
    analytics = [real.analytics[a] for a in strategies[0].analytics]
    assert analytics and all(a.strategy_id == "DET0065" for a in analytics)
    refs = [r for r in real.log_sources if r.analytic_id in {a.id for a in analytics}]
    assert ("DC0064", "docker:daemon") in {(r.data_component_id, r.name) for r in refs}
    assert all(r.data_component_id in real.data_components for r in refs)


@pytest.mark.corpus
def test_corpus_every_analytic_in_a_strategy(real: AttackCatalog) -> None:
    assert all(a.strategy_id in real.strategies for a in real.analytics.values())
    assert sum(1 for r in real.log_sources if r.analytic_id) == 4126
