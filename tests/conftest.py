"""Shared pytest fixtures: the real corpora and (lazily) the project's real Neo4j server."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def corpora() -> Path:
    """`../shared/corpora` (or $DETGRAPH_CORPORA); a missing corpus fails the test, never skips it."""
    root = Path(os.environ.get("DETGRAPH_CORPORA", REPO_ROOT.parent / "shared" / "corpora"))
    assert root.is_dir(), f"corpora not found at {root}: set DETGRAPH_CORPORA"
    return root


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """tests/fixtures."""
    return FIXTURES
