"""A job whose asynchronous endpoints are all at zero instances says it waits for capacity:
the adapter's probe (DescribeEndpoint under botocore's Stubber, its answer kept 30 s), the
rule (jobs/waiting.py) and GET /jobs/{id} and GET /jobs."""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.generators.sagemaker_async import CAPACITY_TTL, SageMakerAsyncGenerator
from chalicelib.jobs import waiting
from chalicelib.rules.times import from_epoch

NAME = "garden-async"
ASYNC = f"sagemaker-async:{NAME}"
ADMIN = "waiting-admin-key"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _described(*counts: int) -> dict:
    return {"EndpointName": NAME, "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{NAME}",
            "EndpointConfigName": "c", "EndpointStatus": "InService",
            "CreationTime": "2026-01-01T00:00:00Z", "LastModifiedTime": "2026-01-01T00:00:00Z",
            "ProductionVariants": [{"VariantName": f"v{i}", "CurrentInstanceCount": c,
                                    "DesiredInstanceCount": c} for i, c in enumerate(counts)]}


@pytest.fixture
def probe():
    control = boto3.client("sagemaker", region_name="us-east-1")
    clock = Clock()
    generator = SageMakerAsyncGenerator(NAME, bucket="b", control=control, clock=clock)
    with Stubber(control) as stub:
        yield generator, stub, clock
        stub.assert_no_pending_responses()


def test_the_probe_asks_describe_endpoint_and_keeps_the_answer_30_seconds(probe):
    generator, stub, clock = probe
    stub.add_response("describe_endpoint", _described(0), {"EndpointName": NAME})
    assert generator.capacity() == 0
    clock.now += CAPACITY_TTL - 1
    assert generator.capacity() == 0            # kept: no second call
    clock.now += 2
    stub.add_response("describe_endpoint", _described(1, 2), {"EndpointName": NAME})
    assert generator.capacity() == 3


@pytest.mark.parametrize("code", ["ValidationException", "AccessDeniedException", "ThrottlingException"])
def test_a_probe_sagemaker_refuses_cannot_tell(probe, code):
    generator, stub, _ = probe
    stub.add_client_error("describe_endpoint", service_error_code=code, http_status_code=400)
    assert generator.capacity() is None


class _Probe:
    def __init__(self, uri: str, count: int | None) -> None:
        self.uri, self.count, self.asked = uri, count, 0

    def capacity(self) -> int | None:
        self.asked += 1
        return self.count


class _Synchronous:
    uri = "sagemaker:sd-one"

    def generate(self, request):
        raise AssertionError("never called")


def _gens(*generators: Any) -> list[Any]:
    return list(generators)


def _view(created: float, **fields) -> dict:
    return {"jobId": "j", "status": "RUNNING", "completed": 0, "failed": 0,
            "createdAt": from_epoch(created), **fields}


def test_the_rule_nothing_made_for_a_while_and_every_live_endpoint_at_zero():
    now = 10_000.0
    old = _view(now - 90)
    zero, other = _Probe(ASYNC, 0), _Probe("sagemaker-async:other", 0)
    assert waiting.for_capacity(old, _gens(zero, other), lambda: now) == {
        "for": "capacity", "since": old["createdAt"], "seconds": 90}
    # young, made something, ended: not asked at all
    for view in (_view(now - 5), _view(now - 90, completed=1), _view(now - 90, status="SUCCEEDED")):
        assert waiting.for_capacity(view, _gens(_Probe(ASYNC, 0)), lambda: now) is None
    # one endpoint warm, one that cannot tell, one synchronous: no claim
    assert waiting.for_capacity(old, _gens(zero, _Probe("sagemaker-async:b", 1)), lambda: now) is None
    assert waiting.for_capacity(old, _gens(zero, _Probe("sagemaker-async:b", None)), lambda: now) is None
    assert waiting.for_capacity(old, _gens(zero, _Synchronous()), lambda: now) is None
    # an endpoint that left the job does not count
    assert waiting.for_capacity({**old, "deadEndpoints": ["sagemaker:sd-one"]},
                                _gens(zero, _Synchronous()), lambda: now) is not None


@pytest.fixture
def api(client, monkeypatch, probe):
    from chalicelib.web import context
    generator, stub, clock = probe
    monkeypatch.setenv("GARDEN_ENDPOINTS", json.dumps([ASYNC]))
    monkeypatch.setenv("GARDEN_ADMIN_KEY", ADMIN)
    context.forget()
    context.override(generators=[generator])
    return client, stub, context.current().job_store


def _record(jobs, job_id: str, created: float) -> None:
    jobs.create_job({"jobId": job_id, "kind": "text2image", "status": "RUNNING",
                     "requested": 2, "createdAt": from_epoch(created)})


def test_get_job_and_the_list_say_a_job_waits_for_capacity(api):
    import time
    client, stub, jobs = api
    _record(jobs, "20260101T000000-0000000001", time.time() - 120)
    _record(jobs, "20260101T000000-0000000002", time.time())     # too young to say
    stub.add_response("describe_endpoint", _described(0), {"EndpointName": NAME})
    view = client.http.get("/jobs/20260101T000000-0000000001").json_body
    assert view["waiting"]["for"] == "capacity" and view["waiting"]["seconds"] >= 119
    assert "waiting" not in client.http.get("/jobs/20260101T000000-0000000002").json_body
    listed = client.http.get("/jobs?status=RUNNING", headers={"x-api-key": ADMIN}).json_body
    by_id = {j["jobId"]: j for j in listed["jobs"]}
    # the answer was kept: one DescribeEndpoint for all of these
    assert by_id["20260101T000000-0000000001"]["waiting"]["for"] == "capacity"
    assert "waiting" not in by_id["20260101T000000-0000000002"]
