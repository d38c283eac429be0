"""The asynchronous SageMaker adapter: the request written to S3 (moto) and queued with
InvokeEndpointAsync (botocore's Stubber: the exact call, its errors), SageMaker's success and
error notifications as documented, and the answer read back from S3 and checked as the
``sagemaker:`` adapter checks its answer."""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from PIL import Image

from chalicelib.errors import (
    BadImage,
    EndpointFailed,
    EndpointThrottled,
    EndpointTimeout,
    InvalidRequest,
)
from chalicelib.generators import GenerationRequest, jumpstart
from chalicelib.generators.checks import encode_jpeg, ensure_jpeg
from chalicelib.generators.sagemaker_async import (
    SageMakerAsyncGenerator,
    Submitted,
    parse_notification,
)

REQUEST = GenerationRequest("A flower, fantasy, calm", 768, 512, negative_prompt="ugly", steps=25,
                            seed=9)
BUCKET = "garden-async"
OUTPUT = f"s3://{BUCKET}/async-inference/output/job-1-0-a.out"


def _jpeg(w: int, h: int) -> bytes:
    return encode_jpeg(Image.new("RGB", (w, h), (250, 200, 40)))


def _answer(w: int = 768, h: int = 512) -> bytes:
    return json.dumps({"generated_images": [base64.b64encode(_jpeg(w, h)).decode()],
                       "prompt": REQUEST.prompt}).encode()


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any, Stubber]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        runtime = boto3.client("sagemaker-runtime", region_name="us-east-1")
        with Stubber(runtime) as stub:
            yield s3, runtime, stub
            stub.assert_no_pending_responses()


def _generator(s3: Any, runtime: Any, **kwargs: Any) -> SageMakerAsyncGenerator:
    return SageMakerAsyncGenerator("sd-async", bucket=BUCKET, client=runtime, s3=s3, **kwargs)


def test_submit_writes_the_request_and_queues_it(aws):
    s3, runtime, stub = aws
    input_location = f"s3://{BUCKET}/async-inference/input/job-1-0-a.json"
    stub.add_response(
        "invoke_endpoint_async",
        {"InferenceId": "job-1-0-a", "OutputLocation": OUTPUT,
         "FailureLocation": f"s3://{BUCKET}/async-inference/failure/job-1-0-a.out"},
        {"EndpointName": "sd-async", "InputLocation": input_location, "InferenceId": "job-1-0-a",
         "ContentType": "application/json", "Accept": "application/json;jpeg",
         "RequestTTLSeconds": 3600, "InvocationTimeoutSeconds": 300,
         "CustomAttributes": "job=job-1"})
    generator = _generator(s3, runtime)
    submitted = generator.submit(REQUEST, "job-1-0-a", custom_attributes="job=job-1")
    assert submitted == Submitted(
        uri="sagemaker-async:sd-async", inference_id="job-1-0-a", input_location=input_location,
        output_location=OUTPUT,
        failure_location=f"s3://{BUCKET}/async-inference/failure/job-1-0-a.out")
    stored = s3.get_object(Bucket=BUCKET, Key="async-inference/input/job-1-0-a.json")
    assert stored["ContentType"] == "application/json"
    assert json.loads(stored["Body"].read()) == jumpstart.request_body(REQUEST)
    # what a worker keeps with the lease comes back whole
    assert Submitted.from_dict(json.loads(json.dumps(submitted.as_dict()))) == submitted


def test_the_input_prefix_and_the_limits_are_the_callers(aws):
    s3, runtime, stub = aws
    stub.add_response("invoke_endpoint_async", {"OutputLocation": OUTPUT},
                      {"EndpointName": "sd-async",
                       "InputLocation": f"s3://{BUCKET}/requests/x.json", "InferenceId": "x",
                       "ContentType": "application/json", "Accept": "application/json;jpeg",
                       "RequestTTLSeconds": 21600, "InvocationTimeoutSeconds": 60})
    generator = _generator(s3, runtime, input_prefix="requests", request_ttl=21600,
                           invocation_timeout=60)
    assert generator.submit(REQUEST, "x").inference_id == "x"
    with pytest.raises(InvalidRequest):
        _generator(s3, runtime, request_ttl=30)
    with pytest.raises(InvalidRequest):
        _generator(s3, runtime, invocation_timeout=3601)


@pytest.mark.parametrize("inference_id", ["", " lead", "x" * 65, "tab\there", "é"])
def test_a_bad_inference_id_is_refused_before_any_call(aws, inference_id):
    s3, runtime, _ = aws
    with pytest.raises(InvalidRequest):
        _generator(s3, runtime).submit(REQUEST, inference_id)
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_bad_sizes_and_attributes_are_refused(aws):
    s3, runtime, _ = aws
    with pytest.raises(InvalidRequest):
        _generator(s3, runtime).submit(GenerationRequest("x", 770, 512), "a")
    with pytest.raises(InvalidRequest):
        _generator(s3, runtime).submit(REQUEST, "a", custom_attributes="ü")


@pytest.mark.parametrize("code,status,error", [
    ("ThrottlingException", 400, EndpointThrottled),
    ("ServiceUnavailable", 503, EndpointThrottled),
    ("ValidationException", 400, EndpointFailed),      # e.g. no such endpoint
    ("InternalFailure", 500, EndpointFailed),
])
def test_invoke_errors_are_the_same_as_for_sagemaker(aws, code, status, error):
    s3, runtime, stub = aws
    stub.add_client_error("invoke_endpoint_async", service_error_code=code,
                          service_message="nope", http_status_code=status)
    with pytest.raises(error, match="sagemaker-async:sd-async"):
        _generator(s3, runtime).submit(REQUEST, "a")


def test_an_s3_that_slows_down_is_throttling_and_a_missing_bucket_a_failure(aws):
    _, runtime, _ = aws
    s3 = boto3.client("s3", region_name="us-east-1")
    with Stubber(s3) as s3_stub:
        s3_stub.add_client_error("put_object", service_error_code="SlowDown",
                                 http_status_code=503)
        s3_stub.add_client_error("put_object", service_error_code="NoSuchBucket",
                                 http_status_code=404)
        with pytest.raises(EndpointThrottled):
            _generator(s3, runtime).submit(REQUEST, "a")
        with pytest.raises(EndpointFailed, match="NoSuchBucket"):
            _generator(s3, runtime).submit(REQUEST, "a")


# --- notifications (the SNS message's body, as SageMaker documents it) ---

SUCCESS = {
    "awsRegion": "us-east-1", "eventTime": "2026-01-25T22:46:00.608Z",
    "receivedTime": "2026-01-25T22:45:53.455Z", "invocationStatus": "Completed",
    "requestParameters": {"contentType": "application/json", "endpointName": "sd-async",
                          "inputLocation": f"s3://{BUCKET}/async-inference/input/job-1-0-a.json"},
    "responseParameters": {"contentType": "application/json", "outputLocation": OUTPUT},
    "inferenceId": "job-1-0-a", "eventVersion": "1.0", "eventSource": "aws:sagemaker",
    "eventName": "InferenceResult",
}
FAILURE = {
    "awsRegion": "us-east-1", "eventTime": "2026-01-25T22:46:00.608Z",
    "receivedTime": "2026-01-25T22:45:53.455Z", "invocationStatus": "Failed",
    "failureReason": "ClientError: Received server error (500) from model. See the SageMaker "
                     "Endpoint logs in your account for more information.",
    "requestParameters": {"endpointName": "sd-async",
                          "inputLocation": f"s3://{BUCKET}/async-inference/input/job-1-0-a.json"},
    "responseParameters": {"failureLocation": f"s3://{BUCKET}/async-inference/failure/x.out"},
    "inferenceId": "job-1-0-a", "eventVersion": "1.0", "eventSource": "aws:sagemaker",
    "eventName": "InferenceResult",
}


def test_a_success_notification_names_the_answer():
    for message in (json.dumps(SUCCESS), json.dumps(SUCCESS).encode(), SUCCESS):
        notification = parse_notification(message)
        assert notification.completed and notification.error_name is None
        assert (notification.inference_id, notification.endpoint_name,
                notification.output_location) == ("job-1-0-a", "sd-async", OUTPUT)


@pytest.mark.parametrize("reason,error", [
    (FAILURE["failureReason"], EndpointFailed),
    ("ClientError: Model container did not respond within InvocationTimeoutSeconds", EndpointTimeout),
    ("Request expired: RequestTTLSeconds exceeded while waiting in the queue", EndpointTimeout),
    ("ClientError: Received server error (503) from model: ServiceUnavailable", EndpointThrottled),
    ("", EndpointFailed),
])
def test_a_failure_notification_is_the_workflows_error(reason, error):
    notification = parse_notification({**FAILURE, "failureReason": reason})
    assert not notification.completed
    assert isinstance(notification.error, error)
    assert notification.error_name == error.__name__
    assert "sagemaker-async:sd-async" in str(notification.error)
    assert notification.failure_location == f"s3://{BUCKET}/async-inference/failure/x.out"


@pytest.mark.parametrize("body", [
    {**SUCCESS, "responseParameters": {}},
    {**SUCCESS, "responseParameters": {"outputLocation": "https://example.com/x"}},
    {**SUCCESS, "responseParameters": "nope"},
    {**SUCCESS, "invocationStatus": "InProgress"},
])
def test_a_notification_for_an_inference_without_a_usable_answer_is_bad_image(body):
    notification = parse_notification(body)
    assert notification.inference_id == "job-1-0-a"
    assert isinstance(notification.error, BadImage) and notification.error_name == "BadImage"


@pytest.mark.parametrize("message", [
    "not json", b"\xff", "[1, 2]", "null", json.dumps({**SUCCESS, "inferenceId": 7}),
    json.dumps({k: v for k, v in SUCCESS.items() if k != "inferenceId"}),
    json.dumps({**SUCCESS, "inferenceId": "x" * 65}),
])
def test_a_notification_naming_no_inference_is_refused(message):
    with pytest.raises(InvalidRequest):
        parse_notification(message)


# --- the answer, read back ---

def test_the_answer_is_read_and_checked_like_sagemakers(aws):
    s3, runtime, _ = aws
    s3.put_object(Bucket=BUCKET, Key="async-inference/output/job-1-0-a.out", Body=_answer())
    data = _generator(s3, runtime).read_output(OUTPUT, REQUEST)
    assert ensure_jpeg(data, 768, 512, source="t") == data


@pytest.mark.parametrize("body,match", [
    (_answer(512, 512), "512x512"),
    (b"{}", "generated_images|image"),
    (b"<html>", ""),
    (json.dumps({"generated_images": ["bm90IGEganBlZw=="]}).encode(), "JPEG"),
])
def test_an_answer_that_is_no_jpeg_of_the_size_is_bad_image(aws, body, match):
    s3, runtime, _ = aws
    s3.put_object(Bucket=BUCKET, Key="async-inference/output/job-1-0-a.out", Body=body)
    with pytest.raises(BadImage, match=match):
        _generator(s3, runtime).read_output(OUTPUT, REQUEST)


def test_a_missing_answer_is_bad_image_and_an_unreadable_bucket_a_failure(aws):
    s3, runtime, _ = aws
    with pytest.raises(BadImage, match="does not exist"):
        _generator(s3, runtime).read_output(OUTPUT, REQUEST)
    with pytest.raises(EndpointFailed, match="NoSuchBucket"):
        _generator(s3, runtime).read_output("s3://someone-elses/x.out", REQUEST)
    with pytest.raises(BadImage, match="s3://"):
        _generator(s3, runtime).read_output("/tmp/x.out", REQUEST)


def test_discard_deletes_what_is_there_and_minds_nothing_else(aws):
    s3, runtime, _ = aws
    s3.put_object(Bucket=BUCKET, Key="async-inference/output/job-1-0-a.out", Body=_answer())
    _generator(s3, runtime).discard(OUTPUT, f"s3://{BUCKET}/gone.json", None, "nonsense")
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
