"""statemachine/bulk.asl.json end to end on the local stack: the pools' plan, the shared
generate/record-error/finish tasks, images landing in the pool with their provenance."""
from __future__ import annotations

from chalicelib import bootstrap
from chalicelib.rules import provenance


def test_a_bulk_run_fills_the_pool_in_both_orientations():
    import app  # noqa: F401 - the object-event handler that indexes what the store receives
    engine = bootstrap.workflow()
    execution_id = engine.start("bulk", {"emotion": "HAPPY", "count": 1, "seed": 3}, "bulk-run-1")
    execution = engine.wait(execution_id, 60)
    assert execution.status == "SUCCEEDED", execution
    job = bootstrap.catalog().get_job(execution.output["jobId"])
    assert (job["status"], job["kind"], len(job["images"])) == ("SUCCEEDED", "bulk", 2)
    assert job["executionId"] == execution_id
    sizes = set()
    for image in job["images"]:
        assert image["key"].startswith("pool/HAPPY/")
        origin = provenance.read(bootstrap.store().get(image["key"]))
        assert origin["emotion"] == "HAPPY" and origin["jobId"] == job["jobId"]
        sizes.add((origin["width"], origin["height"]))
        assert bootstrap.catalog().get_image(image["key"]).area == "pool"
    assert sizes == {(1280, 800), (800, 1280)}
