"""The deployed shape under moto: the real template, reduced to what moto's CloudFormation can
create, made into a stack; the app's Lambda tasks dispatched the way Step Functions invokes
them in AWS.

What moto cannot do, and what stands in for it (each checked elsewhere against the template):
- CloudFront (distribution, origin access control), the bucket policy and API Gateway's usage
  plan have no moto CloudFormation model: those resources, and the outputs that name them,
  are dropped; the CloudFront domain becomes a fixed test value.
- moto ignores ``DefinitionSubstitutions``: they are applied here exactly as CloudFormation
  would (pseudo parameters and Stage), so the machines run the ARNs the template makes.
- moto's CloudFormation creates state machines in its non-executing backend; with
  ``execute_state_machine`` on they must live in the interpreter's backend, so the stack is
  created with that backend in place of the other.
- There is no Lambda to run the tasks: an invocation of
  ``arn:aws:lambda:…:function:emotion-garden-{stage}-{name}`` runs the app's own registered
  function ``name`` (by Chalice's registry, so a name the app does not deploy fails).
"""
from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib import workflow
from tests.infra.conftest import ACCOUNT, REGION, ROOT, deploy, resolve_sub

CDN_DOMAIN = "d111111abcdef8.cloudfront.net"


def _mentions(node: Any, names: set[str]) -> bool:
    """Whether a template fragment refers to any of ``names`` (Ref, GetAtt or Sub)."""
    text = json.dumps(node)
    return any(f'"Ref": "{n}"' in text or f'"Fn::GetAtt": ["{n}"' in text
               or "${" + n + "}" in text or "${" + n + "." in text for n in names)


def reduced_template(template: dict[str, Any], stage: str) -> tuple[dict[str, Any], list[str]]:
    """The template minus what moto cannot create; the names of the dropped resources."""
    from moto.cloudformation.parsing import get_model_map
    supported = set(get_model_map())
    reduced = json.loads(json.dumps(template))
    dropped = sorted(n for n, r in reduced["Resources"].items() if r["Type"] not in supported)
    for name in dropped:
        del reduced["Resources"][name]
    reduced["Outputs"] = {k: v for k, v in reduced["Outputs"].items()
                          if not _mentions(v, set(dropped))}
    assert not _mentions(reduced["Resources"], set(dropped)), "a kept resource needs a dropped one"
    for resource in reduced["Resources"].values():
        props = resource.get("Properties", {})
        if "DefinitionSubstitutions" in props:
            arns = {k: resolve_sub(v, stage) for k, v in props.pop("DefinitionSubstitutions").items()}
            props["DefinitionString"] = workflow.render(props["DefinitionString"], arns.__getitem__)
    return reduced, dropped


@contextlib.contextmanager
def lambda_tasks_run_the_app(app, stage: str) -> Iterator[list[str]]:
    """Step Functions' Lambda invocations of this stage's functions run the app's functions;
    yields the list of function names invoked, in order."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    from chalicelib.workflow.local import _invoke  # the Lambda runtime's JSON and error shape
    functions = {f.name: f.func for f in app.pure_lambda_functions}
    tasks = {name: (lambda fn: lambda event: fn(event, None))(fn) for name, fn in functions.items()}
    prefix = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:emotion-garden-{stage}-"
    original = lambda_eval_utils.execute_lambda_function_integration
    invoked: list[str] = []

    def execute_lambda_function_integration(env, parameters, region, state_credentials):
        arn = str(parameters.get("FunctionName", ""))
        if not arn.startswith(prefix):
            return original(env=env, parameters=parameters, region=region,
                            state_credentials=state_credentials)
        name = arn[len(prefix):]
        invoked.append(name)
        result = _invoke(tasks, name, parameters.get("Payload"))
        env.stack.append({"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": result})

    lambda_eval_utils.execute_lambda_function_integration = execute_lambda_function_integration
    try:
        yield invoked
    finally:
        lambda_eval_utils.execute_lambda_function_integration = original


@contextlib.contextmanager
def state_machines_in_the_interpreter() -> Iterator[None]:
    from moto.stepfunctions import models
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends
    original = models.stepfunctions_backends
    models.stepfunctions_backends = stepfunctions_parser_backends  # type: ignore[assignment]  # the interpreter stands in for moto's backends
    try:
        yield
    finally:
        models.stepfunctions_backends = original


def create_stack(cloudformation, template: dict[str, Any], stage: str,
                 endpoints: str) -> dict[str, str]:
    """Create the stack (as `make deploy` step 1 does) and return its outputs."""
    name = deploy.stack_name(stage)
    with state_machines_in_the_interpreter():
        cloudformation.create_stack(
            StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage},
                        {"ParameterKey": "EndpointNames", "ParameterValue": endpoints}])
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    return deploy.stack_outputs(cloudformation, name)


@dataclass(frozen=True)
class Deployed:
    """A stage deployed under moto: the stack's outputs, the stage's environment made of them
    (``make deploy`` step 2), the project folder whose ``.chalice/config.json`` is the stage's
    (for Chalice's test client), and the template's resources moto could not create."""
    outputs: dict[str, str]
    environment: dict[str, str]
    project: Path
    dropped: list[str]


@contextlib.contextmanager
def deployed_stage(template: dict[str, Any], stage: str, endpoints: str, project: Path,
                   setenv: Callable[[str, str], None],
                   settings: Mapping[str, str] | None = None) -> Iterator[Deployed]:
    """Inside moto (Step Functions executing, moto's requests serialized): the stack made from
    the reduced template with ``endpoints`` (the EndpointNames parameter), the stage's
    config.json written under ``project``, and the stage's environment set through ``setenv``
    (``monkeypatch.setenv``: in Lambda the environment is always there; the test client sets
    it only during a call, and Step Functions runs the tasks on threads of its own), with
    ``settings`` over it."""
    import boto3
    from moto import mock_aws

    from tests.catalog._moto import serialized_moto
    # moto answers one request at a time: Step Functions' threads and the API's call it at
    # once, and its backends are not thread-safe (tests/catalog/_moto.py)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), serialized_moto():
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        reduced, dropped = reduced_template(template, stage)
        outputs = create_stack(cloudformation, reduced, stage, endpoints)
        outputs.setdefault("CdnDomain", CDN_DOMAIN)   # CloudFront is not in moto
        environment = deploy.stage_environment(outputs, stage)   # make deploy, step 2
        (project / ".chalice").mkdir(parents=True)
        config = json.loads((ROOT / ".chalice" / "config.json").read_text())
        deploy.write_json(project / ".chalice" / "config.json",
                          deploy.chalice_stage(config, stage, environment))
        for name, value in {**environment, **(settings or {})}.items():
            setenv(name, value)
        yield Deployed(outputs, environment, project, dropped)
