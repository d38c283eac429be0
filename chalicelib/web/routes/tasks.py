"""The Lambdas that are not HTTP routes.

- The workflows' tasks: Step Functions invokes them (``statemachine/generate.asl.json`` names
  them); locally the workflow engine calls the same ``tasks()`` table of the garden (``web.context``).
- Object events: S3 invokes ``index_objects`` for every image written or removed (the image
  index's only writer); locally the folder store hands its events to the same
  ``index_notification``, in-process.
- Asynchronous endpoints' answers: SageMaker notifies the SNS topic ``config.async_topic()``
  when an image is made or failed; ``endpoint_notified`` applies it to its job and answers the
  parked worker's task token (``jobs.parked``); locally the painter calls the same
  ``async_notification``, in-process.

A deployed task Lambda imports this module alone (its handler is ``<this module>.<function>``),
not ``app.py``: so it sets up its own JSON logs.
"""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, S3Event, SNSEvent

from ... import config, logs
from ...jobs.kinds import KINDS
from ..context import current

logs.configure()
routes = Blueprint(__name__)


# the steps every kind's machine shares, after its own Plan (jobs.kinds: one Lambda per kind)
STEPS = ("workflow_generate", "workflow_record_error", "workflow_finish")
FUNCTIONS = (*(kind.plan_function for kind in KINDS), *STEPS)


def _task_lambda(name: str) -> Any:
    """The Lambda ``name``: it runs the task of that name, bound to this configuration's
    adapters. Kept in this module under the same name: its handler is ``<module>.<name>``."""
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return current().tasks()[name](event)
    handler.__name__ = handler.__qualname__ = name
    return routes.lambda_function(name=name)(handler)


globals().update({name: _task_lambda(name) for name in FUNCTIONS})


@routes.on_s3_event(bucket=config.event_bucket(),
                    events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], suffix=".jpeg",
                    name="index_objects")
def index_objects(event: S3Event) -> None:
    current().index_notification(event.to_dict())


@routes.on_sns_message(topic=config.async_topic(), name="endpoint_notified")
def endpoint_notified(event: SNSEvent) -> None:
    current().async_notification(event.message)
