"""Workers of asynchronous endpoints park: the real state machine (statemachine/generate.asl.json
in the local engine) waits on a task token while ``painter:?async=1`` paints on a thread of its
own, and the painter's notification — SageMaker's shape — reaches the same callback the SNS
Lambda calls (``bootstrap.Garden.async_notification``), which stores the image and answers the
token. Mixed with synchronous endpoints in one job; failures, duplicates and strangers."""
from __future__ import annotations

import json
import threading

import pytest

from chalicelib import bootstrap, config
from chalicelib.errors import EndpointFailed
from chalicelib.generators import GenerationRequest
from chalicelib.generators.painter import PainterGenerator
from chalicelib.jobs import bulk, lifecycle, parked, text2image
from chalicelib.jobs.record import FINAL
from tests.timing import scaled, wait_until

PARKED = config.PAINTER_PARKED


def _garden(tmp_path, endpoints, **adapters):
    settings = config.load({"GARDEN_DATA_DIR": str(tmp_path / "garden"), "GARDEN_DEMO": "0",
                            "GARDEN_ENDPOINTS": json.dumps(endpoints)})
    return bootstrap.build(settings, **adapters)


def _garden_of(tmp_path, endpoints, make_generators):
    """A garden whose generators ``make_generators(notify)`` builds, notifying the garden."""
    holder: dict[str, bootstrap.Garden] = {}
    generators = make_generators(lambda message: holder["garden"].async_notification(message))
    holder["garden"] = _garden(tmp_path, endpoints, generators=generators)
    return holder["garden"]


def _job_id(outcome: lifecycle.Finished | lifecycle.Running) -> str:
    return outcome.job_id if isinstance(outcome, lifecycle.Running) else outcome.view["jobId"]


def _finished(garden, job_id, timeout=60.0):
    def done():
        view = lifecycle.get_job(job_id, jobs=garden.job_store, engine=garden.workflow)
        return view if view["status"] in FINAL else None
    return wait_until(done, timeout=scaled(timeout), what=f"job {job_id} to finish")


def test_a_text_to_image_job_on_parked_and_synchronous_endpoints_makes_every_image_once(tmp_path):
    garden = _garden(tmp_path, [PARKED, "painter:"])
    try:
        outcome = text2image.run({"text": "a calm garden at dusk", "count": 4, "width": 256,
                                  "height": 256}, jobs=garden.job_store, engine=garden.workflow,
                                 endpoints=garden.settings.endpoints, wait_seconds=0)
        view = _finished(garden, _job_id(outcome))
        assert view["status"] == "SUCCEEDED", view
        assert sorted(image["n"] for image in view["images"]) == [0, 1, 2, 3]
        assert {image["endpoint"] for image in view["images"]} <= {PARKED, "painter:"}
        for image in view["images"]:
            data = garden.store.get(image["key"])
            assert data[:2] == b"\xff\xd8"
        # no ticket is left behind
        assert not [o for o in garden.store.list(parked.TICKETS)]
    finally:
        garden.close()


def test_a_bulk_job_on_parked_endpoints_alone_fills_the_pool(tmp_path):
    garden = _garden(tmp_path, [PARKED, PARKED])
    try:
        started = bulk.start_bulk({"emotion": "CALM", "count": 6}, jobs=garden.job_store,
                                  engine=garden.workflow, endpoints=garden.settings.endpoints)
        view = _finished(garden, started["jobId"])
        requested = view["requested"]   # each orientation's count
        assert view["status"] == "SUCCEEDED" and view["completed"] == requested == 12, view
        assert len({image["key"] for image in view["images"]}) == requested
        wait_until(lambda: garden.image_index.count("pool", "CALM") == requested,
                   timeout=scaled(10), what="the pool's index")
    finally:
        garden.close()


class _FailingPainter(PainterGenerator):
    """A painter whose model fails every image: its notifications say Failed."""

    def generate(self, request: GenerationRequest) -> bytes:
        raise EndpointFailed("the model crashed")


def test_an_image_the_parked_endpoint_fails_goes_back_to_the_other_endpoint(tmp_path):
    from chalicelib.generators.painter.parked import ParkedPainter
    garden = _garden_of(tmp_path, [PARKED, "painter:"], lambda notify: [
        ParkedPainter(PARKED, notify, painter=_FailingPainter(PARKED)), PainterGenerator("painter:")])
    try:
        outcome = text2image.run({"text": "a storm of petals", "count": 3, "width": 256,
                                  "height": 256}, jobs=garden.job_store, engine=garden.workflow,
                                 endpoints=garden.settings.endpoints, wait_seconds=0)
        view = _finished(garden, _job_id(outcome))
        assert view["status"] == "SUCCEEDED", view
        assert {image["endpoint"] for image in view["images"]} == {"painter:"}
        assert PARKED in (view.get("deadEndpoints") or [])
        assert any(line["endpoint"] == PARKED and line["error"] == "EndpointFailed"
                   and line["retried"] >= 1 for line in view["errorSummary"]), view["errorSummary"]
    finally:
        garden.close()


def test_notifications_that_are_not_ours_are_dropped_and_change_nothing(tmp_path):
    garden = _garden(tmp_path, [PARKED])
    try:
        assert garden.async_notification("not json") == "dropped"
        assert garden.async_notification({"invocationStatus": "Completed"}) == "dropped"
        assert garden.async_notification({
            "inferenceId": "f" * 32, "invocationStatus": "Completed",
            "responseParameters": {"outputLocation": "s3://b/k.out"}}) == "dropped"
    finally:
        garden.close()


def test_a_duplicate_notification_is_dropped_after_the_first_is_applied(tmp_path):
    seen: list[dict] = []
    lock = threading.Lock()
    from chalicelib.generators.painter.parked import ParkedPainter

    def painters(notify):
        def remember(message):
            with lock:
                seen.append(message)
            return notify(message)
        return [ParkedPainter(PARKED, remember)]
    garden = _garden_of(tmp_path, [PARKED], painters)
    try:
        outcome = text2image.run({"text": "one flower", "count": 1, "width": 256, "height": 256},
                                 jobs=garden.job_store, engine=garden.workflow,
                                 endpoints=garden.settings.endpoints, wait_seconds=0)
        view = _finished(garden, _job_id(outcome))
        assert view["status"] == "SUCCEEDED" and len(view["images"]) == 1
        with lock:
            first = seen[0]
        assert garden.async_notification(first) == "dropped"   # its ticket is gone
        again = lifecycle.get_job(_job_id(outcome), jobs=garden.job_store, engine=garden.workflow)
        assert again["images"] == view["images"]
    finally:
        garden.close()


def test_cancelling_a_job_with_parked_workers_ends_it_and_late_answers_are_dropped(tmp_path):
    held = threading.Event()
    release = threading.Event()
    notes: list[dict] = []

    class _SlowPainter(PainterGenerator):
        def generate(self, request: GenerationRequest) -> bytes:
            held.set()
            release.wait(scaled(30))
            return super().generate(request)

    from chalicelib.generators.painter.parked import ParkedPainter
    garden = _garden(tmp_path, [PARKED], generators=[
        ParkedPainter(PARKED, notes.append, painter=_SlowPainter(PARKED))])
    try:
        started = bulk.start_bulk({"emotion": "SAD", "count": 3}, jobs=garden.job_store,
                                  engine=garden.workflow, endpoints=garden.settings.endpoints)
        assert held.wait(scaled(30)), "the endpoint never got the image"
        view = lifecycle.cancel_job(started["jobId"], jobs=garden.job_store,
                                    engine=garden.workflow)
        assert view["status"] == "CANCELLED"
        release.set()
        wait_until(lambda: notes, timeout=scaled(30), what="the late notification")
        assert garden.async_notification(notes[0]) in ("late", "made")
        after = lifecycle.get_job(started["jobId"], jobs=garden.job_store, engine=garden.workflow)
        assert after["status"] == "CANCELLED"
    finally:
        release.set()
        garden.close()


@pytest.mark.parametrize("uri", ["painter:?async=2", "painter:?x=1", "sagemaker-async:bad name"])
def test_bad_asynchronous_uris_are_configuration_errors(uri):
    from chalicelib.errors import ConfigError
    with pytest.raises(ConfigError):
        bootstrap.build_generator(uri, notify=lambda message: None, bucket="b")


def test_sagemaker_async_needs_the_aws_backend(tmp_path):
    from chalicelib.errors import ConfigError
    garden = _garden(tmp_path, ["sagemaker-async:garden-sd"])
    with pytest.raises(ConfigError, match="AWS backend"):
        garden.generators
