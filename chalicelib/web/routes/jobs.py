"""Generation jobs: ``POST /text2image`` and ``POST /grow`` (public, rate limited),
``GET /jobs/{id}``; the
operator's ``POST /bulk`` (``"dryRun": true``: its plan only), ``GET /jobs`` and ``POST /jobs/{id}/cancel``."""
from __future__ import annotations

import time
from typing import Any

from chalice.app import Blueprint, Response

from ... import config
from ...jobs import bulk, grow, lifecycle, text2image, waiting
from ...errors import InvalidRequest
from ...moderation import PromptRefused
from ...rules import layout, original, validation
from ...rules import share as share_rules
from .. import admin, edge
from ..context import current
from ..edge import json_body
from . import admin_route, route

routes = Blueprint(__name__)


@route(routes, "/text2image", methods=["POST"])
def text2image_post() -> Response:
    g = current()
    admin.rate_limit(admin.client_id(routes.current_request), g.settings)  # API Gateway throttles in AWS
    try:
        outcome = text2image.run(
            json_body(routes.current_request), jobs=g.job_store, engine=g.workflow,
            endpoints=g.settings.endpoints, wait_seconds=g.settings.wait_seconds,
            moderation=g.moderation)
    except PromptRefused as refused:   # 400, no job; the original's page reads its envelope
        return edge.refused_response(refused, envelope=True)
    return edge.text2image_response(outcome, g.store.url)


@route(routes, "/grow", methods=["POST"])
def grow_post() -> Response:
    """A visitor's own flower: 200 with it when ready within the wait, else 202 with its job
    (``jobs/grow.py``); either answer names its take-home page (``shareUrl``)."""
    g = current()
    admin.rate_limit(admin.client_id(routes.current_request), g.settings, admin.GROW_LIMIT)
    settings = g.settings
    outcome = grow.grow(
        json_body(routes.current_request), jobs=g.job_store, engine=g.workflow,
        endpoints=settings.endpoints, per_day=settings.grow_per_day, enabled=settings.grows,
        favorites=lambda emotion: g.image_index.favorites(layout.GARDEN, emotion),
        wait_seconds=settings.wait_seconds, moderation=g.moderation)
    response = edge.text2image_response(outcome, g.store.url)
    response.body["shareUrl"] = share_rules.grown_path(response.body["jobId"])
    return response


@route(routes, "/jobs/{job_id}", methods=["GET", "HEAD"])
def job_get(job_id: str) -> dict[str, Any]:
    g = current()
    view = lifecycle.get_job(validation.job_id(job_id), jobs=g.job_store, engine=g.workflow)
    return edge.public_job(_waiting(view), g.store.url)


@admin_route(routes, "/jobs", methods=["GET", "HEAD"])
def jobs_list() -> dict[str, Any]:
    listed = lifecycle.list_jobs(routes.current_request.query_params or {},
                                 jobs=current().job_store)
    return {**listed, "jobs": [_waiting(job) for job in listed["jobs"]]}


def _waiting(view: dict[str, Any]) -> dict[str, Any]:
    """A running job whose asynchronous endpoints are all at zero instances says it waits for
    one to start (``jobs/waiting.py``); nothing is asked of a garden without such endpoints."""
    g = current()
    if not any(config.parks(uri) for uri in g.settings.endpoints):
        return view
    return waiting.annotate(view, lambda: g.generators, time.time)


@admin_route(routes, "/jobs/{job_id}/cancel", methods=["POST"])
def job_cancel(job_id: str) -> dict[str, Any]:
    g = current()
    return lifecycle.cancel_job(validation.job_id(job_id), jobs=g.job_store, engine=g.workflow)


@admin_route(routes, "/jobs/{job_id}/pause", methods=["POST"])
def job_pause(job_id: str) -> dict[str, Any]:
    g = current()
    return lifecycle.pause_job(validation.job_id(job_id), jobs=g.job_store, engine=g.workflow)


@admin_route(routes, "/jobs/{job_id}/resume", methods=["POST"])
def job_resume(job_id: str) -> dict[str, Any]:
    g = current()
    return lifecycle.resume_job(validation.job_id(job_id), jobs=g.job_store, engine=g.workflow)


@admin_route(routes, "/jobs/{job_id}/priority", methods=["POST"])
def job_priority(job_id: str) -> dict[str, Any]:
    body = json_body(routes.current_request)
    if not isinstance(body, dict) or set(body) != {"priority"}:
        raise InvalidRequest('the body must be {"priority": 0-9}')
    g = current()
    return lifecycle.set_priority(validation.job_id(job_id), body["priority"],
                                  jobs=g.job_store, engine=g.workflow)


@admin_route(routes, "/bulk", methods=["POST"])
def bulk_post() -> Response:
    body = json_body(routes.current_request)
    was_original = original.is_original_bulk(body)
    if was_original:   # the original's {"index", "prompt", "fname"}
        body = original.bulk_body(body)
    g = current()
    try:
        if bulk.is_dry_run(body):   # the plan (prompts, folders, counts), nothing started
            plan = bulk.dry_run(body, endpoints=g.settings.endpoints, moderation=g.moderation)
            return Response(body=plan, status_code=200,
                            headers={"Content-Type": "application/json"})
        started = bulk.start_bulk(body, jobs=g.job_store, engine=g.workflow,
                                  endpoints=g.settings.endpoints, moderation=g.moderation)
    except PromptRefused as refused:   # 400 naming the field, no job
        return edge.refused_response(refused, envelope=was_original)
    return edge.accepted(started)
