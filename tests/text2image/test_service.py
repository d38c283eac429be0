"""The text-to-image service around the workflow: console-started runs, jobs whose workflow
died, and starts that fail."""
from __future__ import annotations

import pytest

from chalicelib.web import context
from chalicelib.catalog.memory import MemoryJobStore
from chalicelib.errors import JobNotFound, ServiceUnavailable
from chalicelib.jobs import lifecycle, record, text2image
from chalicelib.web import edge
from chalicelib.workflow import Execution


def test_a_run_started_by_hand_with_text_and_size_creates_its_own_job():
    # what an operator types into the Step Functions console; default local endpoints (painters)
    engine = context.current().workflow
    execution_id = engine.start("text2image", {"text": "A flower, sad", "width": 640, "height": 480},
                                "console-run-1")
    execution = engine.wait(execution_id, 60)
    assert execution.status == "SUCCEEDED", execution
    output = execution.output
    assert (output["status"], output["completed"], len(output["urls"])) == ("SUCCEEDED", 2, 2)
    job = context.current().job_store.get_job(output["jobId"])
    assert job["kind"] == "text2image" and job["request"]["width"] == 640
    assert job["executionId"] == execution_id   # so GET /jobs can tell if the run died
    assert {i["width"] for i in job["images"]} == {640}


class StuckEngine:
    """An engine whose run ended (or never started) without the workflow settling the job."""

    runner = None   # its runs live elsewhere (as in AWS): nothing to resume

    def __init__(self, status="FAILED", fail_start: Exception | None = None):
        self.status, self.fail_start = status, fail_start

    def start(self, machine, input, name):
        if self.fail_start:
            raise self.fail_start
        return f"exec:{name}"

    def describe(self, execution_id):
        return Execution(execution_id, self.status, error="States.Runtime", cause="plan crashed")

    def wait(self, execution_id, timeout):
        return self.describe(execution_id)

    def stop(self, execution_id, cause):
        pass   # its run has ended: nothing to stop

    def send_task_success(self, token, output):
        return False   # no task of its waits for an answer

    def send_task_failure(self, token, error, cause=""):
        return False

    def send_task_heartbeat(self, token):
        return False


def request():
    return text2image.parse_request({"text": "rose"}, 2)


def post(body, **ports):
    """What POST /text2image answers: the use case's outcome through the HTTP edge."""
    response = edge.text2image_response(text2image.run(body, **ports))
    return response.status_code, response.body


def test_a_job_whose_workflow_died_is_reported_failed_with_the_cause():
    catalog = MemoryJobStore()
    status, body = post({"text": "rose"}, jobs=catalog, engine=StuckEngine(),
                        endpoints=("painter:",), wait_seconds=1)
    assert status == 200 and body["status"] == "FAILED"
    assert body["errors"] == [{"endpoint": None, "error": "States.Runtime", "message": "plan crashed"}]
    assert catalog.get_job(body["jobId"])["status"] == "FAILED"


def test_a_running_workflow_leaves_the_job_running():
    catalog = MemoryJobStore()
    status, body = post({"text": "rose"}, jobs=catalog, engine=StuckEngine("RUNNING"),
                        endpoints=("painter:",), wait_seconds=0)
    assert status == 202 and body["statusUrl"] == f"/jobs/{body['jobId']}"
    assert lifecycle.get_job(body["jobId"], jobs=catalog, engine=StuckEngine("RUNNING"))["status"] == "RUNNING"


def test_a_start_that_fails_marks_the_job_failed_and_says_why():
    catalog = MemoryJobStore()
    with pytest.raises(ServiceUnavailable):
        text2image.start_job(request(), jobs=catalog, endpoints=("painter:",), job_id="job-x",
                             engine=StuckEngine(fail_start=ServiceUnavailable("busy")))
    job = catalog.get_job("job-x")
    assert job["status"] == "FAILED" and job["errors"][0]["message"] == "busy"


def test_unknown_jobs_are_not_found():
    with pytest.raises(JobNotFound):
        lifecycle.get_job("nope", jobs=MemoryJobStore(), engine=StuckEngine())


def test_job_ids_are_unique_valid_keys_and_execution_names():
    from chalicelib import workflow
    from chalicelib.rules import layout
    ids = {record.new_job_id() for _ in range(200)}
    assert len(ids) == 200
    for job_id in list(ids)[:5]:
        workflow.check_name(job_id)
        layout.text2image_key(job_id, 0)


class NoErrorEntries(MemoryJobStore):
    """A catalog that can settle a job but cannot take one more error entry (e.g. DynamoDB
    refusing the write)."""

    def __init__(self):
        super().__init__()
        self.refused = 0

    def append_job_entry(self, job_id, field, entry):
        self.refused += 1
        raise ServiceUnavailable("the catalog refused a job record write (ValidationException)")


def test_a_dead_run_is_settled_even_when_its_error_cannot_be_recorded():
    catalog = NoErrorEntries()
    catalog.create_job(text2image.job_record("job-d", request(), ("painter:",)))
    catalog.update_job("job-d", {"executionId": "exec:job-d"})
    view = lifecycle.get_job("job-d", jobs=catalog, engine=StuckEngine())
    assert view["status"] == "FAILED" and catalog.refused == 1
    # the next poll finds it settled: no new attempt to write, no error
    assert lifecycle.get_job("job-d", jobs=catalog, engine=StuckEngine())["status"] == "FAILED"
    assert catalog.refused == 1


def test_a_job_record_too_big_for_one_dynamodb_item_still_settles_under_moto():
    """The reviewer's case: hundreds of long error entries on one job, then the run dies."""
    import boto3
    from moto import mock_aws

    from chalicelib.catalog.dynamodb import DynamoJobStore, create_table
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        create_table(resource, "jobs-test")
        catalog = DynamoJobStore(resource.Table("jobs-test"))
        catalog.create_job(text2image.job_record("job-big", request(), ("a", "b")))
        catalog.update_job("job-big", {"executionId": "exec:job-big"})
        for n in range(700):
            catalog.append_job_entry("job-big", "errors", {"n": n, "endpoint": "b",
                                                           "error": "EndpointFailed",
                                                           "message": "m" * 500})
        view = lifecycle.get_job("job-big", jobs=catalog, engine=StuckEngine())
    assert view["status"] == "FAILED" and view["failed"] == 701
