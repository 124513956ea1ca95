"""The corpus registry (loader/vendors.py): every place that lists vendors derives from it, parsers load lazily."""
from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from api.cli import cli
from graph_schema.settings import CORPUS_KEYS
from loader.base import VendorLoader
from loader.fetch import LOAD_PATHS, UPSTREAMS
from loader.vendors import ATTACK, CORPORA, LOADERS, VENDORS, loader_class
from tests.conftest import REPO_ROOT


def test_vendors_registry_is_the_one_list() -> None:
    assert list(CORPORA) == ["attack", *VENDORS] and ATTACK.loader is None
    assert (*CORPORA, "ecs") == CORPUS_KEYS  # ecs: the ECS schema, a corpus of no rules read beside them
    assert {c.name: c.upstream for c in CORPORA.values()} == UPSTREAMS and LOAD_PATHS["attack"] == "enterprise-attack"
    assert list(LOADERS) == list(VENDORS) and len(LOADERS) == 3 and "attack" not in LOADERS


def test_vendors_loader_classes_are_vendor_loaders_of_their_name() -> None:
    for name in VENDORS:
        cls = loader_class(name)
        assert issubclass(cls, VendorLoader) and cls.vendor == name and LOADERS[name] is cls


def test_vendors_load_options_and_fetch_choices_come_from_the_registry() -> None:
    load_help = CliRunner().invoke(cli, ["load", "--help"]).output
    assert all(f"--{c.name} PATH" in load_help and c.help.split(" (")[0][:20] in load_help for c in CORPORA.values())
    fetch_help = CliRunner().invoke(cli, ["fetch", "--help"]).output
    assert "[[" + "|".join(sorted(CORPORA)) + "]]..." in fetch_help


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"], cwd=REPO_ROOT,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in out.stdout.split()} | set(out.stdout.split())


def test_vendors_registry_and_pipeline_import_no_parser() -> None:
    for code in ("import loader.vendors", "import loader.pipeline", "import graph_schema.settings"):
        modules = _modules_after(code)
        assert not {"sigma", "eql", "lark", "tomli", "loader.sigma", "loader.elastic", "loader.splunk"} & modules, code


def test_vendors_a_vendor_imports_only_its_own_parser() -> None:
    modules = _modules_after("from loader.vendors import LOADERS\nLOADERS['splunk']")
    assert "loader.splunk" in modules and not {"sigma", "eql", "loader.sigma", "loader.elastic"} & modules
