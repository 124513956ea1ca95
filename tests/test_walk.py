"""The shared corpus walker: regular files only, and the same report for every vendor on links, FIFOs, junk."""
from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from loader.pipeline import parse_corpus
from loader.report import VendorReport
from loader.vendors import LOADERS
from loader.walk import MAX_FILE_BYTES, read_regular, read_text, unreadable, walk_corpus
from tests.conftest import FIXTURES

# vendor -> (rule folder, suffix, a good fixture rule)
GOOD = {
    "sigma": ("rules", ".yml", FIXTURES / "pipeline/sigma/rules/windows/security_kubectl.yml"),
    "elastic": ("rules", ".toml", FIXTURES / "pipeline/elastic/rules/linux/execution_kubernetes_exec.toml"),
    "splunk": ("detections", ".yml", FIXTURES / "pipeline/splunk/detections/endpoint/fixture_encoded_powershell.yml"),
}


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A read that blocks (the FIFO defect) fails the test after 20 s instead of hanging the suite."""
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("the walk or a read blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def hostile_folder(root: Path, vendor: str) -> Path:
    """A vendor corpus with one good rule and every kind of file the walker must not read."""
    folder, suffix, good = GOOD[vendor]
    rules = root / vendor / folder / "sub"
    rules.mkdir(parents=True)
    shutil.copy(good, rules / f"good{suffix}")
    os.mkfifo(rules / f"fifo{suffix}")
    os.symlink(f"self{suffix}", rules / f"self{suffix}")  # a link to itself
    os.symlink("missing-target", rules / f"dangling{suffix}")
    os.symlink("..", rules / "loop")  # a folder link to its parent: a loop
    os.symlink(f"good{suffix}", rules / f"alias{suffix}")  # a link to a good file is read
    (rules / "notes.txt").write_text("not a rule file")
    return root / vendor


@pytest.mark.parametrize("vendor", sorted(GOOD))
def test_walk_reports_links_and_fifos_the_same_for_every_vendor(tmp_path: Path, vendor: str) -> None:
    root = hostile_folder(tmp_path, vendor)
    folder, suffix, _ = GOOD[vendor]
    walked = LOADERS[vendor](root).walk()
    assert [p.name for p in walked.files] == [f"alias{suffix}", f"good{suffix}"]
    reasons = {Path(f.path).name: f.reason for f in walked.failures}
    assert reasons == {
        f"fifo{suffix}": "not a regular file (a FIFO): not read",
        f"self{suffix}": "symlink loop (the link leads back to itself)",
        f"dangling{suffix}": "dangling symlink (its target does not exist)",
        "loop": "symlink loop (the link leads to a folder above it)",
    }
    assert all(f.path.startswith(f"{folder}/sub/") for f in walked.failures)


@pytest.mark.parametrize("vendor", sorted(GOOD))
def test_walk_failures_reach_the_load_report(tmp_path: Path, vendor: str) -> None:
    root = hostile_folder(tmp_path, vendor)
    report = VendorReport(vendor, str(root))
    rules = parse_corpus(LOADERS[vendor](root), report).rules
    assert len(rules) == 1  # good and its alias: the same rule id, the alias reported as a duplicate
    reasons = sorted(f["reason"].split(" (")[0] for f in report.failures)
    assert reasons == ["dangling symlink", "duplicate rule id", "not a regular file", "symlink loop", "symlink loop"]
    assert report.failed == 5 and report.files == 2


def test_walk_missing_folder_is_empty_and_link_in_place_of_folder_is_reported(tmp_path: Path) -> None:
    assert walk_corpus(tmp_path, ("absent",)).files == []
    os.symlink("nowhere", tmp_path / "rules")
    walked = walk_corpus(tmp_path, ("rules",))
    assert [(f.path, f.reason) for f in walked.failures] == [
        ("rules", "dangling symlink (its target does not exist)")]


def test_walk_same_folder_twice_through_a_link_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "rules" / "a").mkdir(parents=True)
    (tmp_path / "rules" / "a" / "r.yml").write_text("title: x\n")
    os.symlink(tmp_path / "rules" / "a", tmp_path / "rules" / "b")
    walked = walk_corpus(tmp_path, ("rules",))
    assert [p.name for p in walked.files] == ["r.yml"]
    assert [(f.path, f.reason) for f in walked.failures] == [("rules/b", "folder already read as rules/a (skipped)")]


def test_walk_not_recursive_lists_only_the_folder(tmp_path: Path) -> None:
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "x.yml").write_text("a: 1\n")
    (tmp_path / "top.yml").write_text("a: 1\n")
    assert [p.name for p in walk_corpus(tmp_path, recursive=False).files] == ["top.yml"]


def test_read_regular_refuses_fifo_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f.yml")
    with pytest.raises(OSError) as caught:
        read_regular(tmp_path / "f.yml")
    assert unreadable(caught.value) == "cannot read file: not a regular file (a FIFO)"


def test_read_regular_refuses_file_over_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yml"
    with big.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: no real disk use
    with pytest.raises(OSError, match="more than the"):
        read_regular(big)


def test_read_text_drops_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbfa = 1\n")
    assert read_text(tmp_path / "bom.toml") == "a = 1\n"


@pytest.mark.parametrize("vendor", sorted(GOOD))
def test_walk_fifo_as_support_or_rule_file_never_blocks_a_parse(tmp_path: Path, vendor: str) -> None:
    root = hostile_folder(tmp_path, vendor)
    if vendor == "splunk":  # macros/ and data_sources/ are read by the same walker
        for support in ("macros", "data_sources"):
            (root / support).mkdir()
            os.mkfifo(root / support / "fifo.yml")
    loader = LOADERS[vendor](root)
    folder, suffix, _ = GOOD[vendor]
    parsed = loader.parse_file(root / folder / "sub" / f"fifo{suffix}")  # as if it appeared after the walk
    assert parsed.rules == [] and "not a regular file (a FIFO)" in parsed.failures[0].reason
    support = sorted((f.path, f.reason) for f in loader.support_failures())
    expected = [] if vendor != "splunk" else [
        ("data_sources/fifo.yml", "not a regular file (a FIFO): not read"),
        ("macros/fifo.yml", "not a regular file (a FIFO): not read")]
    assert support == expected
