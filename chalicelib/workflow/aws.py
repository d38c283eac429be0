"""The workflow engine in AWS: Step Functions (Standard workflows) through boto3."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from ..errors import ConfigError, InvalidRequest, NotFound, ServiceUnavailable, UpstreamFailed
from . import RUNNING, Execution, check_name, poll

# SendTask*'s answers for a token no task waits on any more: the late or duplicate answer
# is dropped (False), as the port says.
_GONE = ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken")
_ERROR_MAX, _CAUSE_MAX = 256, 32768
_THROTTLED = ("ThrottlingException", "TooManyRequestsException", "ServiceUnavailable",
              "InternalServerError")


def _translate(exc: ClientError, what: str) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "")
    message = exc.response.get("Error", {}).get("Message", "")
    if code in ("ExecutionDoesNotExist", "InvalidArn"):
        return NotFound(f"no execution {what!r}")
    if code == "ExecutionAlreadyExists":
        return InvalidRequest(f"an execution named {what!r} already exists")
    if code in ("StateMachineDoesNotExist", "StateMachineDeleting"):
        return ConfigError(f"the state machine for {what!r} does not exist ({message})")
    if code in _THROTTLED:
        return ServiceUnavailable(f"Step Functions is busy ({code}); try again shortly")
    return UpstreamFailed(f"Step Functions failed: {code} {message}".strip())


def _token(token: str) -> str:
    if not isinstance(token, str) or not 1 <= len(token) <= 2048:
        raise InvalidRequest("a task token is 1-2048 characters")
    return token


class StepFunctionsEngine:
    runner: str | None = None   # executions live in Step Functions, whatever this process does

    def __init__(self, client: Any, machines: Mapping[str, str], *,
                 poll_interval: float = 0.25, max_poll_interval: float = 1.0) -> None:
        self._client = client
        self._machines = dict(machines)     # logical name (text2image, bulk) → state machine ARN
        self._poll_interval = poll_interval
        self._max_poll_interval = max_poll_interval

    def start(self, machine: str, input: Mapping[str, Any], name: str) -> str:
        check_name(name)
        arn = self._machines.get(machine)
        if not arn:
            raise ConfigError(f"no state machine ARN configured for {machine!r} "
                              f"(GARDEN_{machine.upper()}_MACHINE)")
        try:
            response = self._client.start_execution(stateMachineArn=arn, name=name,
                                                    input=json.dumps(dict(input)))
        except ClientError as exc:
            raise _translate(exc, name) from exc
        execution: str = response["executionArn"]
        return execution

    def describe(self, execution_id: str) -> Execution:
        try:
            response = self._client.describe_execution(executionArn=execution_id)
        except ClientError as exc:
            raise _translate(exc, execution_id) from exc
        status = response["status"]
        output = response.get("output")
        return Execution(execution_id=response["executionArn"], status=status,
                         output=json.loads(output) if output else None,
                         error=response.get("error"), cause=response.get("cause"))

    def stop(self, execution_id: str, cause: str) -> None:
        try:
            self._client.stop_execution(executionArn=execution_id, error="Cancelled",
                                        cause=cause[:32768])
        except ClientError as exc:
            raise _translate(exc, execution_id) from exc

    # --- callbacks (``.waitForTaskToken`` tasks) ---

    def send_task_success(self, token: str, output: Any) -> bool:
        try:
            text = json.dumps(output)
        except (TypeError, ValueError) as exc:
            raise InvalidRequest(f"a task's output must be JSON ({exc})") from None
        return self._callback("send_task_success", taskToken=_token(token), output=text)

    def send_task_failure(self, token: str, error: str, cause: str = "") -> bool:
        return self._callback("send_task_failure", taskToken=_token(token),
                              error=str(error)[:_ERROR_MAX], cause=str(cause)[:_CAUSE_MAX])

    def send_task_heartbeat(self, token: str) -> bool:
        return self._callback("send_task_heartbeat", taskToken=_token(token))

    def _callback(self, operation: str, **params: str) -> bool:
        try:
            getattr(self._client, operation)(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _GONE:
                return False
            if code in ("InvalidOutput", "ValidationException"):
                message = exc.response.get("Error", {}).get("Message", "")
                raise InvalidRequest(f"Step Functions refused the callback: {code} {message}"
                                     .strip()) from exc
            raise _translate(exc, "a task token") from exc
        return True

    def wait(self, execution_id: str, timeout: float) -> Execution:
        def describe() -> Execution:
            try:
                return self.describe(execution_id)
            except ServiceUnavailable:
                # throttled while polling: the run goes on; look again at the next tick
                return Execution(execution_id=execution_id, status=RUNNING)
        return poll(describe, timeout, self._poll_interval, self._max_poll_interval)
