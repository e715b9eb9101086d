"""schemathesis over /api/openapi.json, in process: no 5xx, every answer matches its schema.

Bounded: a few examples per operation (``max_examples``), on SQLite, over the small web world.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from credit.domain.schema import create_all
from credit.kernel.db import make_engine
from tests.web.conftest import make_app
from tests.web.world import build


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schemathesis")
    engine = make_engine(f"sqlite:///{folder / 'api.db'}")
    create_all(engine)
    tokens = build(engine)
    app = make_app(engine)
    yield app, tokens
    engine.dispose()


@pytest.mark.parametrize("login", [None, "firm", "bank", "regulator"])
def test_api_answers_match_their_schemas(api_app, login):
    app, tokens = api_app
    headers = {"Authorization": f"Bearer {tokens[login]}"} if login else {}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    statuses: list[int] = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        check()
    assert len(statuses) > 30 and 200 in statuses


def test_openapi_document_names_every_operation_and_bearer_auth(api_app):
    spec = api_app[0].test_client().get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/search", "/api/v1/enterprises/{enterprise_id}", "/api/v1/lists/{kind}", "/api/v1/catalogue",
            "/api/v1/objections", "/api/v1/grants", "/api/v1/joint-check/{enterprise_id}"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
