"""The local engine as a neighbour: it runs beside moto's mock_aws (S3/DynamoDB tests) and
real boto3 use without touching either, and behaves like Lambda at the task boundary."""
from __future__ import annotations

import gc

import boto3
import pytest
from moto import mock_aws

from chalicelib.workflow import SUCCEEDED, local
from chalicelib.workflow.local import LocalEngine
from tests.workflow.test_interpreter import Script, run


def test_runs_inside_mock_aws_whose_services_the_tasks_can_use():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="garden")

        def generate(event):
            s3.put_object(Bucket="garden", Key=f"img/{event['item']['n']}", Body=b"x")

        assert run(Script(endpoints=2, count=2, on_generate=generate)).status == SUCCEEDED
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="garden")["Contents"]]
        assert keys == ["img/0", "img/1"]
        # our machines live in the engine's private backend, not in moto's mocked API
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        assert sfn.list_state_machines()["stateMachines"] == []


def test_an_engine_outlives_mock_aws_resets():
    script = Script(endpoints=1, count=1)
    engine = LocalEngine(script.tasks())
    with mock_aws():
        first = engine.start("text2image", {"jobId": "a", "text": "x"}, "a")
        assert engine.wait(first, 30).status == SUCCEEDED
    second = engine.start("text2image", {"jobId": "b", "text": "x"}, "b")
    assert engine.wait(second, 30).status == SUCCEEDED
    assert engine.describe(first).status == SUCCEEDED


def test_foreign_lambda_arns_fall_through_to_moto(monkeypatch):
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    LocalEngine(Script(1, 1).tasks())
    seen = []
    monkeypatch.setattr(local, "_moto_invoke", lambda **kwargs: seen.append(kwargs))
    arn = "arn:aws:lambda:us-east-1:123456789012:function:someone-elses"
    lambda_eval_utils.execute_lambda_function_integration(
        env=None, parameters={"FunctionName": arn, "Payload": b"{}"}, region="us-east-1",
        state_credentials=None)
    assert [s["parameters"]["FunctionName"] for s in seen] == [arn]


def test_a_result_lambda_could_not_serialise_fails_like_lambda():
    script = Script(endpoints=1, count=1)
    tasks = script.tasks()
    tasks["workflow_generate"] = lambda event: {"when": object()}
    engine = LocalEngine(tasks)
    result = engine.wait(engine.start("text2image", {"jobId": "m", "text": "x"}, "m"), 30)
    assert result.status == SUCCEEDED
    (caught,) = script.events["record_error"]
    assert caught["failure"]["Error"] == "Runtime.MarshalError"


def test_a_machine_needing_unregistered_tasks_is_refused_when_started():
    from chalicelib.errors import ConfigError
    engine = LocalEngine(Script(1, 1).tasks())
    with pytest.raises(ConfigError, match="workflow_plan_bulk"):
        engine.start("bulk", {}, "job-1")


def test_each_machine_runs_the_one_definition_with_its_own_plan():
    script = Script(1, 1)
    tasks = script.tasks()
    tasks["workflow_plan_bulk"] = lambda event: {**script.plan(event), "kind": "bulk"}
    engine = LocalEngine(tasks)
    plans = []
    for machine in ("bulk", "text2image"):
        execution = engine.wait(engine.start(machine, {"jobId": machine, "text": "x"}, machine), 30)
        assert execution.status == SUCCEEDED
        plans.append(script.events["finish"][-1]["kind"])
    assert plans == ["bulk", "test"]
    assert len(script.events["generate"]) == 2


def test_finished_executions_are_forgotten_beyond_the_limit():
    script = Script(endpoints=1, count=1)
    engine = LocalEngine(script.tasks(), keep_finished=2)
    ids = []
    for i in range(5):
        ids.append(engine.start("text2image", {"jobId": f"j{i}", "text": "x"}, f"j{i}"))
        engine.wait(ids[-1], 30)
    engine.start("text2image", {"jobId": "last", "text": "x"}, "last")
    machine = engine._backend.describe_state_machine(engine._machines["text2image"])
    assert len(machine.executions) <= 3
    assert engine.describe(ids[-1]).status == SUCCEEDED


def test_a_dropped_engine_leaves_no_dispatch_entry():
    engine = LocalEngine(Script(1, 1).tasks())
    account = engine.account
    assert account in local._engines
    del engine
    gc.collect()
    assert account not in local._engines


def test_the_interpreters_json_paths_are_parsed_once():
    from moto.stepfunctions.parser.asl.utils import json_path
    LocalEngine(Script(1, 1).tasks())
    assert hasattr(json_path.parse, "cache_info")
    first = json_path.parse("$.branch.items")
    assert json_path.parse("$.branch.items") is first
    assert json_path.extract_json("$.branch.items", {"branch": {"items": [1, 2]}}) == [1, 2]
