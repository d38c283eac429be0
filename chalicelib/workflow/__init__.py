"""The workflow engine port: start a state machine (``statemachine/{machine}.asl.json``) and ask
how its execution is doing.

Two adapters run the same ASL files:

- ``aws.StepFunctionsEngine``: Step Functions StartExecution / DescribeExecution (Standard
  workflows, so runs show and can be restarted in the console);
- ``local.LocalEngine``: the same definitions executed in-process by moto's Step Functions
  interpreter (LocalStack's ASL engine), Lambda Task states dispatched to the app's own task
  functions (``chalicelib.tasks.TASKS``).

Task states name their Lambda as a ``${function_name}`` placeholder: CloudFormation's
``DefinitionSubstitutions`` fill in the deployed ARNs (``substitutions``); the local engine
fills in fake ARNs and dispatches by function name.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError, InvalidRequest

if TYPE_CHECKING:
    from ..config import Settings

STATEMACHINE_DIR = Path(__file__).resolve().parents[2] / "statemachine"
MACHINES = ("text2image", "bulk")
RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED = "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"
STATUSES = (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED)

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
# Step Functions' rule for execution names (stricter than AWS's, so local refuses what AWS would).
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


@dataclass(frozen=True)
class Execution:
    """What an engine knows about one run of a state machine."""

    execution_id: str            # the execution ARN (fake but well-formed locally)
    status: str                  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    output: Any = None           # the machine's output once SUCCEEDED
    error: str | None = None     # error name when FAILED (e.g. "States.TaskFailed")
    cause: str | None = None

    @property
    def done(self) -> bool:
        return self.status != RUNNING


class WorkflowEngine(Protocol):
    def start(self, machine: str, input: Mapping[str, Any], name: str) -> str:
        """Start ``machine`` (one of MACHINES) with ``input``; ``name`` must be unique per
        machine (the job id). Returns the execution id. Starting again with the same name and
        input returns the same id (Step Functions' idempotency); other input → InvalidRequest."""

    def describe(self, execution_id: str) -> Execution:
        """Raises NotFound for an unknown id."""

    def wait(self, execution_id: str, timeout: float) -> Execution:
        """Describe once the execution has ended or ``timeout`` seconds have passed."""


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidRequest(f"execution name {name!r} must be 1-80 letters, digits, '-' or '_'")
    return name


def definition_path(machine: str, directory: Path = STATEMACHINE_DIR) -> Path:
    if machine not in MACHINES:
        raise ConfigError(f"unknown state machine {machine!r}; known: {', '.join(MACHINES)}")
    return directory / f"{machine}.asl.json"


def load_definition(machine: str, directory: Path = STATEMACHINE_DIR) -> str:
    path = definition_path(machine, directory)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"state machine {machine!r} has no definition at {path}") from None


def placeholders(definition: str) -> set[str]:
    """The ``${function}`` names a definition needs filled in."""
    return set(_PLACEHOLDER.findall(definition))


def render(definition: str, arn_for: Callable[[str], str]) -> str:
    """Fill every ``${function}`` with ``arn_for(function)``; the result is plain ASL JSON."""
    text = _PLACEHOLDER.sub(lambda m: arn_for(m.group(1)), definition)
    json.loads(text)  # a substitution must never break the JSON
    return text


def lambda_arn(function: str, *, region: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:lambda:{region}:{account}:function:{function}"


def substitutions(machine: str, *, app_name: str, stage: str, region: str, account: str,
                  directory: Path = STATEMACHINE_DIR) -> dict[str, str]:
    """CloudFormation ``DefinitionSubstitutions`` for a deployed stage: each placeholder → the
    ARN of Chalice's ``{app}-{stage}-{function}`` Lambda."""
    names = placeholders(load_definition(machine, directory))
    return {name: lambda_arn(f"{app_name}-{stage}-{name}", region=region, account=account)
            for name in sorted(names)}


def poll(describe: Callable[[], Execution], timeout: float, interval: float,
         max_interval: float | None = None) -> Execution:
    """Describe until the execution is done or ``timeout`` passes (interval grows to max)."""
    deadline = time.monotonic() + max(0.0, timeout)
    step = interval
    while True:
        current = describe()
        left = deadline - time.monotonic()
        if current.done or left <= 0:
            return current
        time.sleep(min(step, left))
        if max_interval:
            step = min(max_interval, step * 1.5)


def build_engine(settings: Settings) -> WorkflowEngine:
    """Step Functions in AWS; the in-process interpreter with the app's task functions locally."""
    if settings.is_aws:
        import boto3

        from .aws import StepFunctionsEngine
        machines = {"text2image": settings.text2image_machine, "bulk": settings.bulk_machine}
        return StepFunctionsEngine(boto3.client("stepfunctions"),
                                   {k: v for k, v in machines.items() if v})
    from ..tasks import TASKS
    from .local import LocalEngine
    return LocalEngine(TASKS)
