"""The job's kinds: one row per kind of generation job, the one table everything that differs
between kinds is read from.

- the request parser and the Plan task (the kind's own module: ``text2image``, ``bulk``);
- the Plan Lambda (``plan_function``): the task the composition root binds
  (``bootstrap.Garden.tasks``), the Lambda ``web/routes/tasks.py`` deploys, the function the
  kind's state machine's ``${workflow_plan}`` stands for (``workflow.plan_function``,
  ``infra/template.yaml``'s ``DefinitionSubstitutions``);
- the state machine: its name (``machine``: the one ``jobs.lifecycle.launch`` starts), the
  setting that holds its ARN in AWS (``machine_setting``, read by ``config.load``) and the
  CloudFormation output that fills that setting in (``machine_output``, ``tools/deploy.py``).

``tests/jobs/test_kinds.py`` checks the app, ``.chalice/config.json``, the workflow package,
the settings, ``infra/template.yaml`` and ``tools/deploy.py`` against this table. The workflow
package itself stays free of it: it is handed names, never kinds.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..catalog import JobStore
from . import bulk, text2image


class PlanTask(Protocol):
    """A kind's Plan step (``text2image.plan``…): the job's images recorded as its work."""

    def __call__(self, event: dict[str, Any], *, jobs: JobStore,
                 endpoints: Sequence[str]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Kind:
    name: str                          # as job records, GET /jobs?kind= and the CLI say it
    parse: Callable[..., object]       # a request body → the kind's typed request
    plan: PlanTask                     # the Plan task: (event, *, jobs, endpoints) → plan
    plan_function: str                 # the Lambda and task its Plan state invokes
    machine: str                       # its state machine
    machine_setting: str               # the environment variable with the machine's ARN (AWS)
    machine_output: str                # the stack output that fills that variable in


KINDS: tuple[Kind, ...] = (
    Kind(name=text2image.KIND, parse=text2image.parse_request, plan=text2image.plan,
         plan_function="workflow_plan_text2image", machine=text2image.MACHINE,
         machine_setting="GARDEN_TEXT2IMAGE_MACHINE", machine_output="Text2ImageMachineArn"),
    Kind(name=bulk.KIND, parse=bulk.parse_bulk, plan=bulk.plan,
         plan_function="workflow_plan_bulk", machine=bulk.MACHINE,
         machine_setting="GARDEN_BULK_MACHINE", machine_output="BulkMachineArn"),
)
BY_NAME: Mapping[str, Kind] = {kind.name: kind for kind in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
# each state machine → the Lambda its Plan state invokes (what the workflow package is handed)
PLAN_FUNCTIONS: Mapping[str, str] = {kind.machine: kind.plan_function for kind in KINDS}
MACHINES: tuple[str, ...] = tuple(PLAN_FUNCTIONS)
