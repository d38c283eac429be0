"""The local workflow engine: our state machines (``statemachine/generate.asl.json``, one
definition per machine by ``load_definition``) executed in-process by moto's Step Functions
interpreter (LocalStack's ASL engine, vendored in moto), with Lambda Task states dispatched to
the task functions the engine was given.

Everything moto-specific lives in this module:

- Each engine owns a private ``StepFunctionsParserBackend`` under its own fake account id. It
  is called directly — no ``mock_aws``, no patched boto3 — so it neither sees nor disturbs
  tests that mock S3/DynamoDB, nor real boto3 use in the same process, and moto's global
  resets never wipe it.
- The interpreter invokes Lambda through one module-level function,
  ``lambda_eval_utils.execute_lambda_function_integration``. ``install_dispatch`` wraps it
  once per process: an ARN whose account belongs to a LocalEngine goes to that engine's task
  function; every other ARN falls through to moto's own code unchanged. The interpreter's
  JSONPath parsing gets a cache at the same time (speed only; see ``_cache_json_paths``),
  and so does its parsing of a definition (``_cache_programs``): each definition is parsed
  once and its program shared by every execution.
- A task's exception becomes a Lambda function error shaped like the Python runtime's
  (``{"errorType": <class name>, "errorMessage": str(exc)}``), so ``Retry``/``Catch`` match on
  our domain error names exactly as they do in AWS.
- Callback tasks (``arn:aws:states:::lambda:invoke.waitForTaskToken``, the Lambda handed
  ``$$.Task.Token`` in its payload) are the interpreter's own; ``_fix_task_tokens`` makes three
  of its ways Step Functions' (see there): every attempt of such a task has a token of its
  own, a token is closed for good when its attempt ends, and a missed heartbeat is
  ``States.HeartbeatTimeout``. ``LocalEngine.send_task_success`` / ``_failure`` /
  ``_heartbeat`` answer a token like SendTaskSuccess/Failure/Heartbeat: waiting is an event
  (the interpreter's thread wakes when the outcome arrives), never a poll.

Tested against moto 5.2.5 (pinned in requirements-local.txt); tests/workflow/test_interpreter.py
fails loudly when the interpreter's behaviour we rely on changes.
"""
from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import secrets
import socket
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..errors import ConfigError, InvalidRequest, NotFound
from . import (
    ABORTED,
    RUNNING,
    STATEMACHINE_DIR,
    Execution,
    TaskFunction,
    check_name,
    lambda_arn,
    load_definition,
    placeholders,
    poll,
    render,
)

if TYPE_CHECKING:
    # what the interpreter's backend really returns (its methods are typed as the base model's)
    from moto.stepfunctions.parser.backend.execution import Execution as ParserExecution

REGION = "us-east-1"
ROLE = "arn:aws:iam::{account}:role/emotion-garden-local"
_accounts = itertools.count(731000000001)   # one fake account per engine: dispatch key
_engines: dict[str, Mapping[str, TaskFunction]] = {}
_install_lock = threading.Lock()
_moto_invoke: Callable[..., None] | None = None   # moto's own function, once we wrapped it


def _function_error(error_type: str, message: str) -> Exception:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    payload = json.dumps({"errorType": error_type, "errorMessage": message})
    return lambda_eval_utils.LambdaFunctionErrorException("Unhandled", payload)


def _invoke(tasks: Mapping[str, TaskFunction], function: str, payload: bytes | str | None) -> Any:
    """Run one task the way Lambda would: JSON in, JSON out, exceptions as function errors."""
    task = tasks.get(function)
    if task is None:
        raise _function_error("Lambda.ResourceNotFoundException", f"no task function {function!r}")
    event = json.loads(payload or b"{}")
    try:
        result = task(event)
    except Exception as exc:  # noqa: BLE001 - every task failure is the workflow's to handle
        raise _function_error(type(exc).__name__, str(exc)) from None
    try:
        # Lambda serialises the return value; a non-JSON result fails there, so it fails here.
        return json.loads(json.dumps(result))
    except (TypeError, ValueError) as exc:
        raise _function_error("Runtime.MarshalError", f"unable to marshal response: {exc}") from None


def install_dispatch() -> None:
    """Route Lambda invocations of local engines' fake ARNs to their task functions (once)."""
    global _moto_invoke
    with _install_lock:
        if _moto_invoke is not None:
            return
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
        original = getattr(lambda_eval_utils, "execute_lambda_function_integration", None)
        if original is None:
            raise RuntimeError("moto's Step Functions interpreter no longer has "
                               "lambda_eval_utils.execute_lambda_function_integration; the local "
                               "workflow engine needs porting to this moto version")

        def execute_lambda_function_integration(env: Any, parameters: Mapping[str, Any],
                                                 region: str, state_credentials: Any) -> None:
            arn = str(parameters.get("FunctionName", ""))
            parts = arn.split(":")
            tasks = _engines.get(parts[4]) if len(parts) >= 7 else None
            if tasks is None:
                assert _moto_invoke is not None
                return _moto_invoke(env=env, parameters=parameters, region=region,
                                    state_credentials=state_credentials)
            result = _invoke(tasks, parts[6], parameters.get("Payload"))
            env.stack.append({"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": result})

        _moto_invoke = original
        lambda_eval_utils.execute_lambda_function_integration = execute_lambda_function_integration
        _cache_json_paths()
        _cache_programs()
        _fix_task_tokens()


def _cache_json_paths() -> None:
    """The interpreter re-parses every JSONPath (``$.branch.items``…) on every evaluation,
    building a new jsonpath-ng parser each time: about half of the engine's overhead per image.
    Parsed paths are immutable, so a cache keyed by the path text changes nothing else.
    Only speed depends on it: if moto moves the function, we run uncached."""
    try:
        from moto.stepfunctions.parser.asl.utils import json_path
    except ImportError:
        return
    parse = getattr(json_path, "parse", None)
    if callable(parse) and not hasattr(parse, "cache_info"):
        setattr(json_path, "parse", functools.lru_cache(maxsize=4096)(parse))


def _waits_for_token(state: Any) -> bool:
    resource = getattr(state, "resource", None)
    return getattr(resource, "condition", None) == "waitForTaskToken"   # a str in moto 5.2


def _is_closed(endpoint: Any) -> bool:
    """Whether a callback endpoint's attempt has ended (an outcome arrived, or the task
    stopped waiting: timed out, stopped, failed). The interpreter sets the endpoint's event
    in both cases and never clears it."""
    event = getattr(endpoint, "_notify_event", None)
    if event is None:
        raise RuntimeError("moto's CallbackEndpoint no longer has _notify_event; the local "
                           "workflow engine's task tokens need porting to this moto version")
    return bool(event.is_set())


def _fix_task_tokens() -> None:
    """Three of the interpreter's ways with ``.waitForTaskToken`` tasks, made Step Functions':

    - a retried attempt gets a token of its own (the interpreter issues one per state entry, so
      a retry after a timeout or a failure would wait on the closed token and end at once with
      the old outcome);
    - when an attempt ends — answered, timed out (``TimeoutSeconds``), or its execution
      stopped — its token is closed at once (the interpreter leaves the waiting thread until
      its own wait runs out, up to ``HeartbeatSeconds`` later, and a late answer in between
      would be taken and dropped): a late SendTask* for it is TaskTimedOut;
    - a missed heartbeat ends the task with ``States.HeartbeatTimeout`` (the interpreter says
      ``States.Timeout``); as in Step Functions, a ``Retry``/``Catch`` on ``States.Timeout``
      matches it too;
    - a task with ``HeartbeatSeconds`` that was answered before its wait began (the invoked
      Lambda answered its own token) ends with that answer (the interpreter sets its heartbeat
      up after the invocation, so the answer woke nothing and the task waited a whole
      ``HeartbeatSeconds``).

    Unlike the caches above, correctness depends on these: if moto moves what they wrap,
    installing fails loudly."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskTimedOutEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback_module,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    service = callback_module.StateTaskServiceCallback
    if getattr(service, "garden_task_tokens", False):
        return
    evaluate = ExecutionState._evaluate_with_timeout
    from_error = service._from_error
    wait_heartbeat = service._wait_for_task_token_heartbeat

    class HeartbeatTimeout(StatesErrorName):
        """``States.HeartbeatTimeout``, which ``States.Timeout`` matches as well."""

        def __init__(self) -> None:
            super().__init__(typ=StatesErrorNameType.StatesHeartbeatTimeout)

        def matches(self, error_name: str | None) -> bool:
            return error_name in (StatesErrorNameType.StatesHeartbeatTimeout.to_name(),
                                  StatesErrorNameType.StatesTimeout.to_name())

        def __eq__(self, other: object) -> bool:
            return isinstance(other, StatesErrorName) and self.matches(other.error_name)

        def __hash__(self) -> int:
            return hash(self.error_name)

    def _evaluate_with_timeout(self: Any, env: Any) -> None:
        if not _waits_for_token(self):
            return evaluate(self, env)
        context = env.states.context_object.context_object_data
        token = context.get("Task", {}).get("Token")
        endpoint = env.callback_pool_manager.get(token) if token else None
        if endpoint is None or _is_closed(endpoint):      # a retry: a token of its own
            token = env.states.context_object.update_task_token()
            endpoint = env.callback_pool_manager.add(token)
        try:
            return evaluate(self, env)
        finally:
            endpoint.interrupt_all()       # this attempt is over: its token with it

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, HeartbeatTimeoutError):
            error = StatesErrorNameType.StatesHeartbeatTimeout.to_name()
            return FailureEvent(
                env=env, error_name=HeartbeatTimeout(), event_type=HistoryEventType.TaskTimedOut,
                event_details=cast(Any, EventDetails)(taskTimedOutEventDetails=TaskTimedOutEventDetails(
                    resourceType=self._get_sfn_resource_type(),
                    resource=self._get_sfn_resource(), error=error,
                    cause="the task sent no heartbeat within its HeartbeatSeconds")))
        return from_error(self, env, ex)

    def _wait_for_task_token_heartbeat(self: Any, env: Any, callback_endpoint: Any,
                                       heartbeat_endpoint: Any) -> Any:
        answered = callback_endpoint.get_outcome()
        if answered is not None:     # before the wait began: an answer later wakes the wait
            return answered
        return wait_heartbeat(self, env, callback_endpoint, heartbeat_endpoint)

    # only the callback-capable service tasks: every other state keeps the original
    setattr(service, "_evaluate_with_timeout", _evaluate_with_timeout)
    setattr(service, "_wait_for_task_token_heartbeat", _wait_for_task_token_heartbeat)
    setattr(service, "_from_error", _from_error)
    setattr(service, "garden_task_tokens", True)


_PROGRAMS: OrderedDict[str, Any] = OrderedDict()   # definition text → its parsed program
_PROGRAMS_KEPT = 32
_programs_lock = threading.Lock()


def _cache_programs() -> None:
    """The interpreter parses an execution's definition (ANTLR, then a tree of evaluation
    components) when the execution starts: most of the engine's fixed cost per job. A
    parsed program holds no state of any execution — each keeps its own in its
    ``Environment``; a component's only lazily set attribute, its ``heap_key``, is set here
    once, before the program is shared — so one program serves every execution of its
    definition, concurrent ones included (tests/workflow/test_programs.py). Only speed
    depends on it: if moto moves the method, we run uncached."""
    try:
        from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    except ImportError:
        return
    original = getattr(ExecutionWorker, "_get_evaluation_entrypoint", None)
    if original is None or getattr(original, "cached_program", False):
        return

    def _get_evaluation_entrypoint(self: Any) -> Any:
        return program_for(self._evaluation_details.state_machine_details.definition)
    _get_evaluation_entrypoint.cached_program = True  # type: ignore[attr-defined]
    ExecutionWorker._get_evaluation_entrypoint = _get_evaluation_entrypoint  # type: ignore[method-assign]


def program_for(definition: str) -> Any:
    """The parsed program of ``definition``, parsed on first use and kept (a few of them)."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    with _programs_lock:      # executions starting together wait for one parse
        if definition in _PROGRAMS:
            _PROGRAMS.move_to_end(definition)
            return _PROGRAMS[definition]
        program = AmazonStateLanguageParser.parse(definition)[0]
        for component in components(program):
            _ = component.heap_key           # set now, never later on a shared program
        _PROGRAMS[definition] = program
        while len(_PROGRAMS) > _PROGRAMS_KEPT:
            _PROGRAMS.popitem(last=False)
        return program


def components(root: Any) -> list[Any]:
    """Every evaluation component of a parsed program (states, their fields, nested maps)."""
    from moto.stepfunctions.parser.asl.component.component import Component
    seen: dict[int, Any] = {}
    todo = [root]
    while todo:
        node = todo.pop()
        if isinstance(node, Component):
            if id(node) in seen:
                continue
            seen[id(node)] = node
            todo.extend(vars(node).values())
        elif isinstance(node, (list, tuple, set, frozenset)):
            todo.extend(node)
        elif isinstance(node, dict):
            todo.extend(node.values())
    return [c for c in seen.values() if hasattr(c, "heap_key")]


# Step Functions' limits on a callback (SendTaskSuccess/Failure): a token is 1-2048
# characters, an output at most 256 KiB of JSON; error and cause are cut to their limits
# (256 and 32,768 characters) as the AWS engine cuts them, so both engines take the same calls.
TOKEN_MAX, OUTPUT_MAX, ERROR_MAX, CAUSE_MAX = 2048, 256 * 1024, 256, 32768


def check_token(token: str) -> str:
    if not isinstance(token, str) or not 1 <= len(token) <= TOKEN_MAX:
        raise InvalidRequest(f"a task token is 1-{TOKEN_MAX} characters")
    return token


def callback_output(output: Any) -> str:
    """A callback's output as the JSON text Step Functions takes, or InvalidRequest."""
    try:
        text = json.dumps(output)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"a task's output must be JSON ({exc})") from None
    if len(text.encode("utf-8")) > OUTPUT_MAX:
        raise InvalidRequest(f"a task's output is at most {OUTPUT_MAX} bytes of JSON")
    return text


def callback_failure(error: str, cause: str) -> tuple[str, str]:
    return str(error)[:ERROR_MAX], str(cause)[:CAUSE_MAX]


_runners: set[str] = set()   # the runner ids of this process's live engines


def runner_alive(runner: str) -> bool | None:
    """What this process can tell of the local engine named by a job's ``runner``
    (``host:pid:engine:nonce``; the nonce is random per engine, so an id never comes back):
    True for a live engine of this process; False when the engine's process is certainly
    gone (this host has no process with its id); None when this process cannot tell — a
    process of this host with that id exists (it may be a reused id: a server restarted as
    PID 1 of its container, a reboot, an unreaped zombie), or the runner is another host's.
    Then the runner's heartbeat in the job store decides (``jobs.runners``)."""
    if runner in _runners:
        return True
    host, _, rest = runner.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if pid == os.getpid():
        return None      # not one of ours: an earlier process with our id, or another namespace's
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return None      # exists (someone else's process), or cannot be asked
    return None


class LocalEngine:
    """Runs the state machines in this process; ``tasks`` maps each Lambda function name the
    machines invoke (``workflow_plan_text2image``, ``workflow_generate``…) to its function."""

    def __init__(self, tasks: Mapping[str, TaskFunction], *,
                 directory: Path = STATEMACHINE_DIR, poll_interval: float = 0.001,
                 keep_finished: int = 200) -> None:
        # moto's interpreter logs tracebacks of task failures that Catch handles; they are
        # expected here and reported through the job's error entries instead.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend

        install_dispatch()
        self.account = str(next(_accounts))
        self._tasks = dict(tasks)
        self._directory = directory
        self._poll_interval = poll_interval
        self._keep_finished = keep_finished
        # who runs this engine's executions: never the same twice, even when a process
        # id comes back (``runner_alive``); its heartbeat is kept by the composition root
        self.runner = f"{socket.gethostname()}:{os.getpid()}:{self.account}:{secrets.token_hex(8)}"
        self._backend = StepFunctionsParserBackend(REGION, self.account)
        self._machines: dict[str, str] = {}
        self._stopped: dict[str, str] = {}    # execution id → why it was stopped
        self._lock = threading.Lock()
        _engines[self.account] = self._tasks
        _runners.add(self.runner)
        weakref.finalize(self, _engines.pop, self.account, None)
        weakref.finalize(self, _runners.discard, self.runner)

    def function_arn(self, function: str) -> str:
        return lambda_arn(function, region=REGION, account=self.account)

    def _machine_arn(self, machine: str) -> str:
        with self._lock:
            if machine not in self._machines:
                definition = load_definition(machine, self._directory)
                missing = placeholders(definition) - set(self._tasks)
                if missing:
                    raise ConfigError(f"state machine {machine!r} needs task functions "
                                      f"{', '.join(sorted(missing))} that are not registered")
                created = self._backend.create_state_machine(
                    name=machine, definition=render(definition, self.function_arn),
                    roleArn=ROLE.format(account=self.account))
                self._machines[machine] = created.arn
            return self._machines[machine]

    def start(self, machine: str, input: Mapping[str, Any], name: str) -> str:
        from moto.stepfunctions.exceptions import ExecutionAlreadyExists
        check_name(name)
        arn = self._machine_arn(machine)
        try:
            execution = self._backend.start_execution(arn, name=name,
                                                      execution_input=json.dumps(dict(input)))
        except ExecutionAlreadyExists:
            raise InvalidRequest(f"an execution named {name!r} already exists") from None
        self._forget_finished(arn)
        return execution.exec_arn

    def describe(self, execution_id: str) -> Execution:
        from moto.stepfunctions.exceptions import (
            ExecutionDoesNotExist,
            InvalidArn,
            StateMachineDoesNotExist,
        )
        try:
            execution = cast("ParserExecution", self._backend.describe_execution(execution_id))
        except (ExecutionDoesNotExist, InvalidArn, StateMachineDoesNotExist):
            raise NotFound(f"no execution {execution_id!r}") from None
        status = execution.exec_status.value if execution.exec_status else RUNNING
        if status != RUNNING and execution.exec_arn in self._stopped:
            return Execution(execution_id=execution.exec_arn, status=ABORTED,
                             error="Cancelled", cause=self._stopped[execution.exec_arn])
        return Execution(execution_id=execution.exec_arn, status=status,
                         output=execution.output if status == "SUCCEEDED" else None,
                         error=execution.error, cause=execution.cause)

    def stop(self, execution_id: str, cause: str) -> None:
        """Stops the interpreter at its next state: a task in flight runs to its end (and
        may record its image), nothing after it runs. The execution then reads ABORTED, as
        in Step Functions (moto's interpreter itself ends a run stopped inside a Map as
        FAILED, States.Runtime)."""
        from moto.stepfunctions.exceptions import (
            ExecutionDoesNotExist,
            InvalidArn,
            StateMachineDoesNotExist,
        )
        if self.describe(execution_id).done:
            return
        try:
            self._backend.stop_execution(execution_id)
        except (ExecutionDoesNotExist, InvalidArn, StateMachineDoesNotExist):
            raise NotFound(f"no execution {execution_id!r}") from None
        with self._lock:
            self._stopped[execution_id] = cause
            self._close_tokens(execution_id)

    # --- callbacks: a ``.waitForTaskToken`` task completes when its token is answered ---

    def send_task_success(self, token: str, output: Any) -> bool:
        """SendTaskSuccess: the task waiting on ``token`` ends with ``output`` (any JSON
        value) as its result. False (nothing delivered) when no task waits on it any more."""
        from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeSuccess
        text = callback_output(output)
        return self._answer(token, lambda: CallbackOutcomeSuccess(callback_id=token, output=text))

    def send_task_failure(self, token: str, error: str, cause: str = "") -> bool:
        """SendTaskFailure: the task waiting on ``token`` fails with ``error`` (its Retry and
        Catch match that name) and ``cause``. False when no task waits on it any more."""
        from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeFailure
        error, cause = callback_failure(error, cause)
        return self._answer(token, lambda: CallbackOutcomeFailure(callback_id=token, error=error,
                                                                   cause=cause))

    def send_task_heartbeat(self, token: str) -> bool:
        """SendTaskHeartbeat: the task waiting on ``token`` starts its ``HeartbeatSeconds``
        again. False when no task waits on it any more."""
        check_token(token)
        with self._lock:
            endpoint = self._open_endpoint(token)
            if endpoint is None:
                return False
            endpoint.notify_heartbeat()   # a task without HeartbeatSeconds: nothing to reset
            return True

    def _answer(self, token: str, outcome: Callable[[], Any]) -> bool:
        check_token(token)
        with self._lock:     # two answers at once: one is delivered, the other is late
            endpoint = self._open_endpoint(token)
            if endpoint is None:
                return False
            endpoint.notify(outcome())
            return True

    def _executions(self) -> list[ParserExecution]:
        found: list[ParserExecution] = []
        for arn in list(self._machines.values()):
            machine = self._backend.describe_state_machine(arn)
            found.extend(cast("list[ParserExecution]", list(machine.executions)))
        return found

    def _open_endpoint(self, token: str) -> Any:
        """The callback endpoint of a task that still waits on ``token``, else None (an
        answered or timed-out token, one of an ended execution, or one never issued)."""
        for execution in self._executions():
            worker = execution.exec_worker
            env = worker.env if worker is not None else None
            endpoint = env.callback_pool_manager.get(token) if env is not None else None
            if endpoint is None:
                continue
            running = not execution.exec_status or execution.exec_status.value == RUNNING
            if not running or execution.exec_arn in self._stopped or _is_closed(endpoint):
                return None
            return endpoint
        return None

    def _close_tokens(self, execution_id: str) -> None:
        """A stopped execution's parked tasks stop waiting now (their threads end)."""
        for execution in self._executions():
            if execution.exec_arn != execution_id or execution.exec_worker is None:
                continue
            env = execution.exec_worker.env
            pool = getattr(env.callback_pool_manager, "_pool", None) if env is not None else None
            for endpoint in list((pool or {}).values()):
                endpoint.interrupt_all()

    def wait(self, execution_id: str, timeout: float) -> Execution:
        # in-memory status reads: polling every few ms costs nothing and adds little latency
        return poll(lambda: self.describe(execution_id), timeout, self._poll_interval)

    def _forget_finished(self, machine_arn: str) -> None:
        """A long-running server must not keep every execution's history forever."""
        machine = self._backend.describe_state_machine(machine_arn)
        executions = cast("list[ParserExecution]", machine.executions)
        finished = [e for e in executions if e.exec_status and e.exec_status.value != RUNNING]
        for execution in finished[: max(0, len(finished) - self._keep_finished)]:
            executions.remove(execution)   # the machine's own list
            with self._lock:
                self._stopped.pop(execution.exec_arn, None)
