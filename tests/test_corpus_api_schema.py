"""schemathesis against the OpenAPI document, on the full corpora graph: for values generated from every
operation's schema, no 5xx, and every answer matches its documented status, content type, headers and schema.

Each operation is its own test (driven through schemathesis's Python API and hypothesis: its pytest plugin
does not run under this pytest)."""
from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from neo4j import Driver
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.web.openapi import openapi_spec
from loader.report import LoadReport

pytestmark = [pytest.mark.neo4j, pytest.mark.corpus]

EXAMPLES_PER_OPERATION = 8  # × 34 operations: about a minute on the full graph
OPERATIONS = [(path, method) for path, methods in openapi_spec()["paths"].items() for method in methods]


@pytest.fixture(scope="module")
def app(full_graph: tuple[Driver, LoadReport], web_app: Flask) -> Flask:
    return web_app


@pytest.fixture(scope="module")
def api_schema(app: Flask) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_api_conforms_to_its_openapi_document(api_schema: schemathesis.BaseSchema, path: str, method: str) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def conforms(case: schemathesis.Case) -> None:
        # schema-valid is not always acceptable: a page past a list's end, a search text that is no Lucene
        # query, an empty draft are 400s whose message says why; every other check runs
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    conforms()
