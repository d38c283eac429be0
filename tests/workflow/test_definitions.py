"""The state machines' one file: valid ASL (statelint) as it is and once rendered for each machine,
the shape the workflows rely on, and Lambda tasks that the app really deploys."""
from __future__ import annotations

import json

import pytest
from statelint.config import Config
from statelint.linter import Linter
from statelint.problem import ProblemType

from chalicelib.jobs import kinds
from chalicelib import workflow
from chalicelib import bootstrap
from chalicelib.config import MAX_WORKERS, load
from chalicelib.errors import ConfigError

TASKS = bootstrap.build().tasks()

FILE = workflow.definition_path()
DEFINITIONS = {machine: workflow.load_definition(machine) for machine in kinds.MACHINES}


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
    assert kinds.MACHINES == ("text2image", "bulk")
    assert kinds.PLAN_FUNCTIONS == {m: workflow.plan_function(m) for m in kinds.MACHINES}


def test_the_statelint_command_of_make_lint_passes_on_the_file():
    # `statelint --ignore=URI statemachine/*.asl.json`: placeholders are not URIs yet.
    assert lint(FILE.read_text(), {ProblemType.URI}) == []


@pytest.mark.parametrize("machine", kinds.MACHINES)
def test_statelint_passes_on_each_machine_once_the_function_arns_are_filled_in(machine):
    assert lint(rendered(machine)) == []


def test_statelint_catches_what_we_guard_against():
    # the linter is live: an integer BackoffRate and an unknown Next are reported
    text = rendered("text2image").replace('"BackoffRate": 2.0', '"BackoffRate": 2').replace(
        '"Next": "Finish"', '"Next": "Nowhere"')
    problems = " ".join(lint(text))
    assert "BackoffRate" in problems and "Nowhere" in problems


def test_the_shape_pulling_workers_in_parallel_rounds_until_nothing_is_makeable():
    definition = json.loads(FILE.read_text())
    workers = definition["States"]["Workers"]
    assert workers["Type"] == "Map" and workers["MaxConcurrency"] == 0
    assert workers["ItemsPath"] == "$.workers" and workers["ResultPath"] is None
    inner = workers["ItemProcessor"]["States"]
    work = inner["Work"]
    assert work["Resource"] == "${workflow_generate}" and work["Next"] == "More"
    # the worker asks again while its task says so; any failure of the task is caught
    assert inner["More"]["Choices"] == [{"Variable": "$.result.next", "StringEquals": "work",
                                         "Next": "Work"}]
    assert [c["ErrorEquals"] for c in work["Catch"]] == [["States.ALL"]]
    # endpoint errors are the task's own (backoff inside it): the ASL retries only the
    # infrastructure, never a generator error (that would claim another image)
    retried = {name for r in work["Retry"] for name in r["ErrorEquals"]}
    assert not {"EndpointFailed", "EndpointThrottled", "EndpointTimeout", "BadImage",
                "States.ALL"} & retried
    assert definition["States"]["Again"]["Choices"][0]["Next"] == "Workers"
    assert definition["States"]["Done"]["End"] is True


# --- Step Functions' limit: 25,000 history events per Standard execution --------------------
TASK_EVENTS = 5        # TaskStateEntered, LambdaFunctionScheduled/Started/Succeeded, TaskStateExited
RETRY_EVENTS = 3       # each retried attempt: LambdaFunctionScheduled, Started, Failed
TWO = {"Choice": 2, "Succeed": 2, "Pass": 2, "Wait": 2, "Fail": 2}
MAP_EVENTS, ITERATION_EVENTS = 4, 2   # Entered/Started/Succeeded/Exited; per item Started/Succeeded
LARGEST_BULK = 500 * 2                # 500 per orientation, both orientations


def events_of(state: dict) -> int:
    """A state's events when it runs once, every retrier spent to its MaxAttempts (a task that
    waits for its token adds TaskSubmitted)."""
    if state["Type"] == "Task":
        waits = 1 if str(state["Resource"]).endswith(".waitForTaskToken") else 0
        return TASK_EVENTS + waits + RETRY_EVENTS * sum(r.get("MaxAttempts", 3)
                                                        for r in state.get("Retry", []))
    return TWO[state["Type"]]


def worst_case_events(images: int, workers: int) -> int:
    """The most history events one job can make, from the file: every image is one worker
    turn (Work, More); each round every worker has one more turn that stops it (Work, More,
    Stopped), the Map and its items, Finish and Again; each worker's task crashes once at
    most (Work then Crashed: its endpoint leaves the job). A round after the first needs an
    endpoint to have left the job, so rounds ≤ min(MAX_ROUNDS, workers + 1). Every task
    spends its retries."""
    from chalicelib.jobs.steps import MAX_ROUNDS
    top = json.loads(FILE.read_text())["States"]
    inner = top["Workers"]["ItemProcessor"]["States"]
    # a worker routes once per round, then turns synchronously (Work, More) or parked (Park,
    # MoreParked): the dearer of the two is counted
    turn = max(events_of(inner["Work"]) + events_of(inner["More"]),
               events_of(inner["Park"]) + events_of(inner["MoreParked"]))
    task = max(events_of(inner["Work"]), events_of(inner["Park"]))
    rounds = min(MAX_ROUNDS, workers + 1)
    per_round = (MAP_EVENTS + ITERATION_EVENTS * workers
                 + workers * (events_of(inner["Route"]) + turn + events_of(inner["Stopped"]))
                 + events_of(top["Finish"]) + events_of(top["Again"]))
    crashes = workers * (task + events_of(inner["Crashed"]))
    execution = 2 + events_of(top["Plan"]) + events_of(top["Done"])
    return execution + images * turn + rounds * per_round + crashes


@pytest.mark.parametrize("workers", [1, 8, MAX_WORKERS])
def test_the_largest_job_stays_far_under_step_functions_history_limit(workers):
    # 21,000 of the 25,000 allowed, every retrier spent on every image: routing each worker
    # to its synchronous or parked loop costs two events per worker and round
    count = worst_case_events(LARGEST_BULK, workers)
    assert count < 21_000, count
    # the count is live: a job twice the largest would not fit
    assert worst_case_events(LARGEST_BULK * 2, workers) > 25_000


def test_more_workers_than_the_history_allows_are_refused_at_start():
    many = json.dumps(["bedrock:amazon.nova-canvas-v1:0?concurrency=12", "painter:"])
    with pytest.raises(ConfigError, match="13 workers in all"):
        load({"GARDEN_ENDPOINTS": many})
    assert len(load({"GARDEN_ENDPOINTS": json.dumps(["painter:"] * MAX_WORKERS)}).workers) == MAX_WORKERS


def test_the_history_count_follows_the_file():
    """Every state the count walks is in the file, and every state of the file is counted."""
    top = json.loads(FILE.read_text())["States"]
    inner = top["Workers"]["ItemProcessor"]["States"]
    assert set(top) == {"Plan", "Workers", "Finish", "Again", "Done"}
    assert set(inner) == {"Route", "Work", "More", "Park", "MoreParked", "Stopped", "Crashed"}


def test_every_backoff_rate_is_a_float():
    retriers = [r for _, s in states(json.loads(FILE.read_text())) for r in s.get("Retry", [])]
    assert retriers and all(isinstance(r["BackoffRate"], float) for r in retriers)


def test_the_file_leaves_only_the_plan_to_each_machine():
    assert workflow.placeholders(FILE.read_text()) == {
        "workflow_plan", "workflow_generate", "workflow_record_error", "workflow_finish"}
    assert json.loads(FILE.read_text())["States"]["Plan"]["Resource"] == "${workflow_plan}"
    comment = json.loads(FILE.read_text())["Comment"]
    assert all(name in comment for name in (*kinds.MACHINES, *kinds.PLAN_FUNCTIONS.values()))


@pytest.mark.parametrize("machine", kinds.MACHINES)
def test_each_machine_is_the_file_with_its_own_plan_function(machine):
    plan = kinds.PLAN_FUNCTIONS[machine]
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
    from chalicelib.workflow.local import LocalEngine
    with pytest.raises(ConfigError, match="workflow_plan_nightly that are not registered"):
        LocalEngine(TASKS).start("nightly", {}, "unknown-machine")
    with pytest.raises(ConfigError, match="state machine name"):
        workflow.load_definition("Nightly/../bulk")
    with pytest.raises(ConfigError, match="no definition"):
        workflow.load_definition("bulk", workflow.STATEMACHINE_DIR / "nowhere")


def test_every_machines_tasks_are_registered_and_deployed_by_the_app():
    import app
    needed = set().union(*(workflow.placeholders(d) for d in DEFINITIONS.values()))
    assert needed <= set(TASKS)
    deployed = {f.name for f in app.app.pure_lambda_functions}
    assert set(TASKS) <= deployed


@pytest.mark.parametrize("machine", kinds.MACHINES)
def test_substitutions_fill_the_files_placeholders_with_the_stage_lambdas(machine):
    subs = workflow.substitutions(machine, app_name="emotion-garden", stage="prod",
                                  region="eu-west-1", account="111122223333")
    prefix = "arn:aws:lambda:eu-west-1:111122223333:function:emotion-garden-prod-"
    assert subs["workflow_generate"] == prefix + "workflow_generate"
    assert subs["workflow_plan"] == prefix + f"workflow_plan_{machine}"
    assert set(subs) == workflow.placeholders(FILE.read_text())
