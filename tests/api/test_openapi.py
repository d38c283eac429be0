"""The OpenAPI document (html/openapi.json, served at /openapi.json) is the whole HTTP API and
stays so: every route of the app is documented and nothing else is, and requests generated
from it (schemathesis) against the local server never get a 5xx, an answer that breaks the
document's schema, or an answer without a Content-Type."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from chalicelib.web import context
from tests.stacks import threaded_server

DOCUMENT = Path(__file__).resolve().parents[2] / "html" / "openapi.json"
ADMIN_KEY = "openapi-fuzz-admin-key"
METHODS = {"get", "head", "post", "put", "patch", "delete", "options"}


def _documented() -> set[tuple[str, str]]:
    paths = json.loads(DOCUMENT.read_text(encoding="utf-8"))["paths"]
    return {(path, method.upper()) for path, item in paths.items() for method in item if method in METHODS}


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_is_documented_and_nothing_else():
    from app import app
    routes = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert routes - _documented() == set(), "routes missing from html/openapi.json"
    assert _documented() - routes == set(), "html/openapi.json documents routes the app lacks"


def test_every_get_route_answers_head_too():
    from app import app
    for path, methods in app.routes.items():
        assert "GET" not in methods or "HEAD" in methods, f"{path}: HEAD is missing"


@pytest.fixture
def origin(monkeypatch):
    monkeypatch.setenv("GARDEN_ADMIN_KEY", ADMIN_KEY)
    monkeypatch.setenv("GARDEN_WAIT_SECONDS", "0")          # /text2image answers 202 at once
    # a closed port: jobs the fuzzer starts fail at once instead of painting for minutes
    monkeypatch.setenv("GARDEN_ENDPOINTS", '["http://127.0.0.1:9/invocations"]')
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)
    context.rebuild()
    with threaded_server() as server:
        yield server.url


def test_the_document_is_served_as_json(origin):
    import http.client
    from urllib.parse import urlsplit
    parts = urlsplit(origin)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/openapi.json")
    response = conn.getresponse()
    assert response.status == 200 and response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.read()) == json.loads(DOCUMENT.read_text(encoding="utf-8"))


def has_content_type(ctx, response, case):
    """Every answer with a body says what it is."""
    if response.content and not response.headers.get("content-type"):
        raise AssertionError(f"{case.method} {case.path} answered {response.status_code} with no Content-Type")
    return None


schema = schemathesis.openapi.from_path(DOCUMENT)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_generated_requests_never_break_the_server_or_the_document(case, origin):
    # 15 operations × 40 examples: about 600 requests, well under a minute on two cores
    response = case.call(base_url=origin, headers={"x-api-key": ADMIN_KEY}, timeout=30)
    case.validate_response(response, checks=[checks.not_a_server_error,
                                             checks.response_schema_conformance,
                                             has_content_type])
