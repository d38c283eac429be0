"""The state machines as files: valid ASL (statelint), the shape the workflows rely on, and
Lambda tasks that the app really deploys."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from statelint.config import Config
from statelint.linter import Linter
from statelint.problem import ProblemType

from chalicelib import workflow
from chalicelib.tasks import TASKS

FILES = sorted(workflow.STATEMACHINE_DIR.glob("*.asl.json"))


def lint(text: str, ignore: set | None = None) -> list[str]:
    return list(Linter.validate(text, Config(ignore or set(), False, False)))


def rendered(path: Path) -> str:
    return workflow.render(path.read_text(), lambda name: workflow.lambda_arn(
        f"emotion-garden-dev-{name}", region="us-east-1", account="123456789012"))


def states(node: dict):
    """Every state, nested Maps and Parallels included."""
    for name, state in node["States"].items():
        yield name, state
        for inner in [state.get("ItemProcessor") or state.get("Iterator")] + state.get("Branches", []):
            if inner:
                yield from states(inner)


def test_every_machine_is_listed_and_there_is_one_file_per_machine():
    assert [p.name for p in FILES] == [f"{m}.asl.json" for m in sorted(workflow.MACHINES)]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_statelint_passes_once_the_function_arns_are_filled_in(path):
    assert lint(rendered(path)) == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_statelint_passes_on_the_file_itself_apart_from_the_placeholders(path):
    # `statelint --ignore=URI statemachine/*.asl.json`: placeholders are not URIs yet.
    assert lint(path.read_text(), {ProblemType.URI}) == []


def test_statelint_catches_what_we_guard_against():
    # the linter is live: an integer BackoffRate and an unknown Next are reported
    text = rendered(FILES[0]).replace('"BackoffRate": 2.0', '"BackoffRate": 2').replace(
        '"Next": "Finish"', '"Next": "Nowhere"')
    problems = " ".join(lint(text))
    assert "BackoffRate" in problems and "Nowhere" in problems


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_shape_a_map_over_endpoints_each_serial_with_retry_and_catch(path):
    definition = json.loads(path.read_text())
    outer = definition["States"]["Endpoints"]
    assert outer["Type"] == "Map" and outer["MaxConcurrency"] == 0
    assert outer["ItemsPath"] == "$.branches" and outer["ResultPath"] is None
    inner = outer["ItemProcessor"]["States"]["Images"]
    assert inner["Type"] == "Map" and inner["MaxConcurrency"] == 1
    generate = inner["ItemProcessor"]["States"]["Generate"]
    retried = {name for r in generate["Retry"] for name in r["ErrorEquals"]}
    assert {"EndpointThrottled", "EndpointTimeout"} <= retried
    assert not {"EndpointFailed", "BadImage", "States.ALL"} & retried
    assert [c["ErrorEquals"] for c in generate["Catch"]] == [["States.ALL"]]
    assert definition["States"]["Finish"]["End"] is True


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_backoff_rate_is_a_float(path):
    retriers = [r for _, s in states(json.loads(path.read_text())) for r in s.get("Retry", [])]
    assert retriers and all(isinstance(r["BackoffRate"], float) for r in retriers)


def test_bulk_has_the_text2image_shape_with_its_own_plan():
    text2image, bulk = (json.loads(p.read_text()) for p in FILES[::-1])
    text2image["States"]["Plan"]["Resource"] = bulk["States"]["Plan"]["Resource"]
    text2image.pop("Comment"), bulk.pop("Comment")
    assert text2image == bulk
    assert workflow.placeholders(FILES[0].read_text()) - workflow.placeholders(FILES[1].read_text()) \
        == {"workflow_plan_bulk"}


def test_every_machines_tasks_are_registered_and_deployed_by_the_app():
    import app
    needed = set().union(*(workflow.placeholders(workflow.load_definition(m)) for m in workflow.MACHINES))
    assert needed <= set(TASKS)
    deployed = {f.name for f in app.app.pure_lambda_functions}
    assert set(TASKS) <= deployed


def test_substitutions_name_the_stage_lambdas():
    subs = workflow.substitutions("text2image", app_name="emotion-garden", stage="prod",
                                  region="eu-west-1", account="111122223333")
    assert subs["workflow_generate"] == \
        "arn:aws:lambda:eu-west-1:111122223333:function:emotion-garden-prod-workflow_generate"
    assert set(subs) == workflow.placeholders(workflow.load_definition("text2image"))
