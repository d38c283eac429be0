"""The workflow engine port: start a state machine and ask how its execution is doing.

Both state machines, ``text2image`` and ``bulk``, are deployed from one definition,
``statemachine/generate.asl.json``: they differ only in the Lambda their Plan state invokes,
which the file leaves as the ``${workflow_plan}`` placeholder: a machine named ``M`` invokes
``workflow_plan_M`` there (``plan_function``). Which machines exist is the job's business
(``jobs.kinds``): this package is handed names, never kinds.

Two adapters run that definition:

- ``aws.StepFunctionsEngine``: Step Functions StartExecution / DescribeExecution (Standard
  workflows, so runs show and can be restarted in the console);
- ``local.LocalEngine``: the same definition executed in-process by moto's Step Functions
  interpreter (LocalStack's ASL engine), Lambda Task states dispatched to the task functions
  the composition root hands it (keyed by Lambda function name).

Task states name their Lambda as a ``${placeholder}``: CloudFormation's
``DefinitionSubstitutions`` fill in the deployed ARNs (``substitutions``); the local engine
renders each machine's definition (``load_definition``: every placeholder → the name of the
function it invokes) with fake ARNs and dispatches by function name.

This package knows nothing of the domain: it imports only ``chalicelib.errors``.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import ConfigError, InvalidRequest

STATEMACHINE_DIR = Path(__file__).resolve().parents[2] / "statemachine"
DEFINITION_FILE = "generate.asl.json"
PLAN = "workflow_plan"   # the Plan state's placeholder: the one thing the machines differ in
RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED = "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"
STATUSES = (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED)

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
# Step Functions' rule for execution names (stricter than AWS's, so local refuses what AWS would).
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_MACHINE = re.compile(r"^[a-z][a-z0-9]{0,39}$")

# A task function: the Lambda's event in, a JSON-serialisable result out.
TaskFunction = Callable[[dict[str, Any]], Any]


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
    @property
    def runner(self) -> str | None:
        """Who runs this engine's executions, when that is a process that can die with them
        (the local engine: host, process, engine and a random nonce, so an id is never
        reused); None where they live on their own (AWS)."""

    def start(self, machine: str, input: Mapping[str, Any], name: str) -> str:
        """Start ``machine`` (a machine the deployment has) with ``input``; ``name`` must be unique per
        machine (the job id). Returns the execution id. Starting again with the same name and
        input returns the same id (Step Functions' idempotency); other input → InvalidRequest."""

    def describe(self, execution_id: str) -> Execution:
        """Raises NotFound for an unknown id."""

    def wait(self, execution_id: str, timeout: float) -> Execution:
        """Describe once the execution has ended or ``timeout`` seconds have passed."""

    def stop(self, execution_id: str, cause: str) -> None:
        """Stop a running execution (it ends ABORTED); an ended one is left as it is.
        Raises NotFound for an unknown id."""

    # Callbacks: a Task state whose resource ends in ``.waitForTaskToken`` hands its Lambda
    # ``$$.Task.Token`` and then waits — no Lambda running — until the token is answered, or
    # its HeartbeatSeconds / TimeoutSeconds end it (States.HeartbeatTimeout / States.Timeout).
    # Each answer returns True when a task waiting on the token took it, False when none
    # waits on it any more (answered already, timed out, its execution ended or stopped, or a
    # token never issued): a late or duplicate answer is harmless and changes nothing.
    # Raises InvalidRequest for a malformed token or an output that is not JSON or over
    # 256 KiB; ServiceUnavailable when the service is busy (try again).

    def send_task_success(self, token: str, output: Any) -> bool:
        """SendTaskSuccess: the waiting task's result is ``output`` (any JSON value)."""

    def send_task_failure(self, token: str, error: str, cause: str = "") -> bool:
        """SendTaskFailure: the waiting task fails with the error name ``error`` (its Retry
        and Catch match on it) and ``cause`` (cut to 256 and 32,768 characters)."""

    def send_task_heartbeat(self, token: str) -> bool:
        """SendTaskHeartbeat: the waiting task's HeartbeatSeconds start again."""


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidRequest(f"execution name {name!r} must be 1-80 letters, digits, '-' or '_'")
    return name


def plan_function(machine: str) -> str:
    """The Lambda (and task function) the Plan state of the machine named ``machine``
    invokes: ``workflow_plan_{machine}``."""
    if not isinstance(machine, str) or not _MACHINE.match(machine):
        raise ConfigError(f"state machine name {machine!r} must be 1-40 lower-case letters "
                          "and digits, starting with a letter")
    return f"{PLAN}_{machine}"


def definition_path(directory: Path = STATEMACHINE_DIR) -> Path:
    """The one ASL file every machine is deployed from."""
    return directory / DEFINITION_FILE


def read_definition(directory: Path = STATEMACHINE_DIR) -> str:
    """The file as it is, placeholders (``${workflow_plan}``…) included: what CloudFormation
    deploys with a machine's ``DefinitionSubstitutions``."""
    path = definition_path(directory)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"the state machines have no definition at {path}") from None


def placeholders(definition: str) -> set[str]:
    """The ``${name}`` placeholders a definition needs filled in."""
    return set(_PLACEHOLDER.findall(definition))


def render(definition: str, fill: Callable[[str], str]) -> str:
    """Replace every ``${name}`` with ``fill(name)``; the result must still be JSON."""
    text = _PLACEHOLDER.sub(lambda m: fill(m.group(1)), definition)
    json.loads(text)  # a substitution must never break the JSON
    return text


def functions(machine: str, directory: Path = STATEMACHINE_DIR) -> dict[str, str]:
    """Each placeholder of the file → the Lambda function (task table key) it stands for in
    ``machine``: ``workflow_plan`` → the machine's plan function, every other one itself."""
    plan = plan_function(machine)
    return {name: plan if name == PLAN else name
            for name in sorted(placeholders(read_definition(directory)))}


def load_definition(machine: str, directory: Path = STATEMACHINE_DIR) -> str:
    """``machine``'s own definition: the file with each placeholder naming the function it
    invokes (``${workflow_plan_bulk}``, ``${workflow_generate}``…), for ``render``."""
    names = functions(machine, directory)
    return render(read_definition(directory), lambda name: "${" + names[name] + "}")


def lambda_arn(function: str, *, region: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:lambda:{region}:{account}:function:{function}"


def substitutions(machine: str, *, app_name: str, stage: str, region: str, account: str,
                  directory: Path = STATEMACHINE_DIR) -> dict[str, str]:
    """CloudFormation ``DefinitionSubstitutions`` of ``machine`` in a deployed stage: each
    placeholder of the file → the ARN of Chalice's ``{app}-{stage}-{function}`` Lambda."""
    return {name: lambda_arn(f"{app_name}-{stage}-{function}", region=region, account=account)
            for name, function in functions(machine, directory).items()}


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
