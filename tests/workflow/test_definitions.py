"""The state machines' one file: valid ASL (statelint) as it is and once rendered for each machine,
the shape the workflows rely on, and Lambda tasks that the app really deploys."""
from __future__ import annotations

import json

import pytest
from statelint.config import Config
from statelint.linter import Linter
from statelint.problem import ProblemType

from chalicelib import workflow
from chalicelib.bootstrap import tasks
from chalicelib.errors import ConfigError

TASKS = tasks()

FILE = workflow.definition_path()
DEFINITIONS = {machine: workflow.load_definition(machine) for machine in workflow.MACHINES}


def lint(text: str, ignore: set | None = None) -> list[str]:
    return list(Linter.validate(text, Config(ignore or set(), False, False)))


def rendered(machine: str) -> str:
    return workflow.render(DEFINITIONS[machine], lambda name: workflow.lambda_arn(
        f"emotion-garden-dev-{name}", region="us-east-1", account="123456789012"))


def states(node: dict):
    """Every state, nested Maps and Parallels included."""
    for name, state in node["States"].items():
        yield name, state
        for inner in [state.get("ItemProcessor") or state.get("Iterator")] + state.get("Branches", []):
            if inner:
                yield from states(inner)


def test_one_file_defines_every_machine():
    assert sorted(p.name for p in workflow.STATEMACHINE_DIR.iterdir()) == ["generate.asl.json"]
    assert workflow.MACHINES == ("text2image", "bulk")
    assert workflow.PLAN_FUNCTIONS == {m: f"workflow_plan_{m}" for m in workflow.MACHINES}


def test_the_statelint_command_of_make_lint_passes_on_the_file():
    # `statelint --ignore=URI statemachine/*.asl.json`: placeholders are not URIs yet.
    assert lint(FILE.read_text(), {ProblemType.URI}) == []


@pytest.mark.parametrize("machine", workflow.MACHINES)
def test_statelint_passes_on_each_machine_once_the_function_arns_are_filled_in(machine):
    assert lint(rendered(machine)) == []


def test_statelint_catches_what_we_guard_against():
    # the linter is live: an integer BackoffRate and an unknown Next are reported
    text = rendered("text2image").replace('"BackoffRate": 2.0', '"BackoffRate": 2').replace(
        '"Next": "Finish"', '"Next": "Nowhere"')
    problems = " ".join(lint(text))
    assert "BackoffRate" in problems and "Nowhere" in problems


def test_the_shape_a_map_over_endpoints_each_serial_with_retry_and_catch():
    definition = json.loads(FILE.read_text())
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


def test_every_backoff_rate_is_a_float():
    retriers = [r for _, s in states(json.loads(FILE.read_text())) for r in s.get("Retry", [])]
    assert retriers and all(isinstance(r["BackoffRate"], float) for r in retriers)


def test_the_file_leaves_only_the_plan_to_each_machine():
    assert workflow.placeholders(FILE.read_text()) == {
        "workflow_plan", "workflow_generate", "workflow_record_error", "workflow_finish"}
    assert json.loads(FILE.read_text())["States"]["Plan"]["Resource"] == "${workflow_plan}"
    comment = json.loads(FILE.read_text())["Comment"]
    assert all(name in comment for name in (*workflow.MACHINES, *workflow.PLAN_FUNCTIONS.values()))


@pytest.mark.parametrize("machine", workflow.MACHINES)
def test_each_machine_is_the_file_with_its_own_plan_function(machine):
    plan = workflow.PLAN_FUNCTIONS[machine]
    assert workflow.functions(machine) == {
        "workflow_plan": plan, "workflow_generate": "workflow_generate",
        "workflow_record_error": "workflow_record_error", "workflow_finish": "workflow_finish"}
    definition = json.loads(DEFINITIONS[machine])
    assert definition["States"]["Plan"]["Resource"] == "${" + plan + "}"
    definition["States"]["Plan"]["Resource"] = "${workflow_plan}"
    assert definition == json.loads(FILE.read_text())


def test_bulk_and_text2image_differ_in_their_plan_only():
    assert workflow.placeholders(DEFINITIONS["bulk"]) ^ workflow.placeholders(DEFINITIONS["text2image"]) \
        == {"workflow_plan_bulk", "workflow_plan_text2image"}


def test_an_unknown_machine_is_a_configuration_error():
    with pytest.raises(ConfigError, match="text2image, bulk"):
        workflow.load_definition("nightly")
    with pytest.raises(ConfigError, match="no definition"):
        workflow.load_definition("bulk", workflow.STATEMACHINE_DIR / "nowhere")


def test_every_machines_tasks_are_registered_and_deployed_by_the_app():
    import app
    needed = set().union(*(workflow.placeholders(d) for d in DEFINITIONS.values()))
    assert needed <= set(TASKS)
    deployed = {f.name for f in app.app.pure_lambda_functions}
    assert set(TASKS) <= deployed


@pytest.mark.parametrize("machine", workflow.MACHINES)
def test_substitutions_fill_the_files_placeholders_with_the_stage_lambdas(machine):
    subs = workflow.substitutions(machine, app_name="emotion-garden", stage="prod",
                                  region="eu-west-1", account="111122223333")
    prefix = "arn:aws:lambda:eu-west-1:111122223333:function:emotion-garden-prod-"
    assert subs["workflow_generate"] == prefix + "workflow_generate"
    assert subs["workflow_plan"] == prefix + f"workflow_plan_{machine}"
    assert set(subs) == workflow.placeholders(FILE.read_text())
