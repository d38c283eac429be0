"""The bulk machine (statemachine/generate.asl.json with workflow_plan_bulk as its Plan) end to
end on the local stack: the pools' plan, the shared generate/record-error/finish tasks, images
landing in the pool with their provenance."""
from __future__ import annotations

from chalicelib.web import context
from chalicelib.rules import provenance


def test_a_bulk_run_fills_the_pool_in_both_orientations():
    import app  # noqa: F401 - the object-event handler that indexes what the store receives
    engine = context.current().workflow
    execution_id = engine.start("bulk", {"emotion": "HAPPY", "count": 1, "seed": 3}, "bulk-run-1")
    execution = engine.wait(execution_id, 60)
    assert execution.status == "SUCCEEDED", execution
    job = context.current().job_store.get_job(execution.output["jobId"])
    assert (job["status"], job["kind"], len(job["images"])) == ("SUCCEEDED", "bulk", 2)
    assert job["executionId"] == execution_id
    sizes = set()
    for image in job["images"]:
        assert image["key"].startswith("pool/HAPPY/")
        origin = provenance.read(context.current().store.get(image["key"]))
        assert origin["emotion"] == "HAPPY" and origin["jobId"] == job["jobId"]
        sizes.add((origin["width"], origin["height"]))
        assert context.current().image_index.get_image(image["key"]).area == "pool"
    assert sizes == {(1280, 800), (800, 1280)}
