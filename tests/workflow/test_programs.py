"""The local engine parses each definition once and shares the parsed program between
executions (chalicelib.workflow.local.program_for): safe only if a program keeps no state of
an execution. Proven here on our own machine: many executions at once, each of them a Map of
parallel workers looping over Choice states, each ending with exactly its own results."""
from __future__ import annotations

import threading
from collections import defaultdict

from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from chalicelib.workflow import SUCCEEDED, local
from chalicelib.workflow.local import LocalEngine, components, program_for

JOBS = 8


class PerJob:
    """Task functions whose every answer depends on the job: a mix-up between executions
    sharing one program would show in some job's count or worker names."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.left: dict[str, list[int]] = {}
        self.made: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.start = threading.Barrier(JOBS, timeout=20)

    def plan(self, event):
        request = event["request"]
        job, count = request["jobId"], int(request["count"])
        with self.lock:
            self.left[job] = list(range(count))
        self.start.wait()     # every execution is in flight before any worker runs
        return {"jobId": job, "workers": [{"worker": w, "uri": f"{job}:{w}"}
                                          for w in range(1 + count % 3)]}

    def generate(self, event):
        job = event["jobId"]
        assert event["worker"]["uri"].startswith(job + ":") and event["run"] == job
        with self.lock:
            if not self.left[job]:
                return {"next": "stop"}
            n = self.left[job].pop(0)
            self.made[job].append((n, event["worker"]["uri"]))
        return {"next": "work"}

    def finish(self, event):
        with self.lock:
            made = sorted(n for n, _ in self.made[event["jobId"]])
        return {"jobId": event["jobId"], "made": made, "again": False}

    def tasks(self):
        return {"workflow_plan_text2image": self.plan, "workflow_generate": self.generate,
                "workflow_record_error": lambda event: {"next": "stop"},
                "workflow_finish": self.finish}


def test_one_program_serves_many_concurrent_executions_each_with_its_own_results(monkeypatch):
    parses = []
    real = AmazonStateLanguageParser.parse
    monkeypatch.setattr(AmazonStateLanguageParser, "parse",
                        staticmethod(lambda text: parses.append(text) or real(text)))
    local._PROGRAMS.clear()
    script = PerJob()
    engine = LocalEngine(script.tasks())
    counts = {f"job-{i}": 3 + i for i in range(JOBS)}
    ids = {job: engine.start("text2image", {"jobId": job, "count": count}, job)
           for job, count in counts.items()}
    for job, execution_id in ids.items():
        result = engine.wait(execution_id, 60)
        assert result.status == SUCCEEDED, result
        assert result.output == {"jobId": job, "made": list(range(counts[job])), "again": False}
        assert {uri.split(":")[0] for _, uri in script.made[job]} == {job}
    # the engine's create-time check parses once; the executions all share one program
    definition = next(iter(local._PROGRAMS))
    assert parses.count(definition) <= 2 and len(local._PROGRAMS) == 1


def test_a_shared_program_has_every_heap_key_set_before_it_is_shared():
    from chalicelib.workflow import load_definition, render
    definition = render(load_definition("bulk"), lambda name: f"arn:aws:lambda:us-east-1:1:function:{name}")
    program = program_for(definition)
    assert program_for(definition) is program
    found = components(program)
    assert len(found) > 20     # states, their fields, the Map's inner states
    assert all(c._EvalComponent__heap_key is not None for c in found)
