"""Shared for the deployment tests: the rendered template, the deploy tool, the app's functions."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"


def _load_deploy():
    # tools/ is not a package: load tools/deploy.py as the module Makefile runs
    if "garden_deploy" not in sys.modules:
        spec = importlib.util.spec_from_file_location("garden_deploy", ROOT / "tools" / "deploy.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["garden_deploy"] = module
        spec.loader.exec_module(module)
    return sys.modules["garden_deploy"]


deploy = _load_deploy()


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return deploy.render_template()


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def resolve_sub(value: Any, stage: str, account: str = ACCOUNT, region: str = REGION) -> str:
    """Fn::Sub as CloudFormation evaluates it, for the pseudo parameters and Stage only."""
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    assert isinstance(text, str), value
    for name, replacement in {"AWS::Partition": PARTITION, "AWS::Region": region,
                              "AWS::AccountId": account, "Stage": stage}.items():
        text = text.replace("${" + name + "}", replacement)
    assert "${" not in text, f"unresolved substitution in {text}"
    return text


def app_function_names() -> set[str]:
    """Every Lambda the Chalice app deploys, by its Chalice name."""
    from app import app
    names = {"api_handler"} if app.routes else set()
    names |= {f.name for f in app.pure_lambda_functions}
    names |= {e.name for e in app.event_sources}
    return names


def example_outputs(stage: str = "dev") -> dict[str, str]:
    """A stack's outputs (account 123456789012)."""
    return {
        "BucketName": f"emotion-garden-{stage}-{ACCOUNT}-{REGION}",
        "TableName": f"emotion-garden-{stage}",
        "CdnDomain": "d111111abcdef8.cloudfront.net",
        "Text2ImageMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:emotion-garden-{stage}-text2image",
        "BulkMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:emotion-garden-{stage}-bulk",
        "EndpointNames": "jumpstart-SD-2-1,jumpstart-sd-xl",
        "GuardrailArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/{stage}guard0001",
        "GuardrailVersion": "1",
        "GuardrailProfile": "us.guardrail.v1:0",
        "GuardrailRegions": "us-east-1,us-east-2,us-west-2",
    }


def example_environment(stage: str = "dev") -> dict[str, str]:
    """What stage_environment makes of a stack's outputs (account 123456789012)."""
    return deploy.stage_environment(example_outputs(stage), stage)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())
