"""The kinds table (chalicelib/jobs/kinds.py) is what every other place says about the job's
kinds: the app's Lambdas, .chalice/config.json, the task table, the workflow package and its
one ASL file, the settings, infra/template.yaml and the deploy tool."""
from __future__ import annotations

import json

import pytest

from chalicelib import workflow
from chalicelib import bootstrap
from chalicelib.config import load
from chalicelib.jobs import bulk, kinds, lifecycle, text2image
from chalicelib.jobs.kinds import KINDS
from tests.infra.conftest import ROOT, deploy, example_environment, resolve_sub, resources_of

KIND_IDS = [kind.name for kind in KINDS]


def test_the_table_names_each_kind_once_with_its_own_module():
    assert kinds.NAMES == ("text2image", "bulk") == lifecycle.KINDS
    assert kinds.BY_NAME["text2image"].plan is text2image.plan
    assert kinds.BY_NAME["bulk"].parse is bulk.parse_bulk
    for values in ({k.plan_function for k in KINDS}, {k.machine for k in KINDS},
                   {k.machine_setting for k in KINDS}, {k.machine_output for k in KINDS}):
        assert len(values) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_each_kinds_plan_is_a_task_and_a_lambda_the_app_deploys(kind):
    from app import app
    assert kind.plan_function in bootstrap.build().tasks()
    assert kind.plan_function in {f.name for f in app.pure_lambda_functions}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_configured_stage_sizes_each_kinds_plan_lambda(stage):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    functions = config["stages"][stage].get("lambda_functions")
    assert functions, f"{stage} configures no lambda_functions"
    assert {kind.plan_function for kind in KINDS} <= set(functions)


def test_the_workflow_package_is_handed_the_same_machines_and_plans():
    assert kinds.MACHINES == tuple(kind.machine for kind in KINDS)
    assert all(workflow.plan_function(kind.machine) == kind.plan_function for kind in KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_each_machines_plan_state_invokes_its_kinds_plan(kind):
    definition = json.loads(workflow.load_definition(kind.machine))
    assert definition["States"]["Plan"]["Resource"] == "${" + kind.plan_function + "}"
    assert workflow.functions(kind.machine)[workflow.PLAN] == kind.plan_function


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_the_template_deploys_each_kinds_machine_with_its_plan_and_output(kind):
    template = deploy.render_template()
    machines = {resolve_sub(r["Properties"]["StateMachineName"], "dev"): r["Properties"]
                for r in resources_of(template, "AWS::StepFunctions::StateMachine").values()}
    props = machines[f"emotion-garden-dev-{kind.machine}"]
    assert resolve_sub(props["DefinitionSubstitutions"][workflow.PLAN], "dev").endswith(
        f":function:emotion-garden-dev-{kind.plan_function}")
    assert kind.machine_output in template["Outputs"]
    assert deploy.MACHINES[kind.machine] == kind.machine_output


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_the_deployed_setting_reaches_the_engine_that_starts_the_kinds_machine(kind, monkeypatch):
    environment = example_environment("dev")   # tools/deploy.py's stage environment
    arn = environment[kind.machine_setting]
    assert arn.endswith(f":stateMachine:emotion-garden-dev-{kind.machine}")
    started = []

    class StepFunctions:
        def start_execution(self, **call):
            started.append(call["stateMachineArn"])
            return {"executionArn": "arn:execution"}
    import boto3
    monkeypatch.setattr(boto3, "client", lambda service, **_: StepFunctions())
    engine = bootstrap.build_engine(load(environment), {})
    engine.start(kind.machine, {}, "job-1")
    assert started == [arn]
