"""``POST /bulk {"dryRun": true}``: the plan of a bulk job — each favorite's exact prompt, its
pool folder and its images per orientation — checked as a start is, and nothing started."""
from __future__ import annotations

import pytest

from chalicelib.rules import prompts
from chalicelib.web import context
from tests.pools.conftest import call, wait_for_job

MATRIX = {"emotion": "calm", "count": 2, "orientations": ["landscape", "portrait"],
          "matrix": {"season": ["spring", "winter"], "weather": ["cloudy"]},
          "others": "watercolor", "priority": 3}


def jobs_made() -> int:
    return len(context.current().job_store.list_jobs(limit=50).jobs)


def test_a_dry_run_answers_the_plan_and_starts_nothing(client):
    status, plan = call(client, "POST", "/bulk", {**MATRIX, "dryRun": True})
    assert status == 200, plan
    assert jobs_made() == 0 and not list(context.current().store.list("pool/"))
    assert {k: plan[k] for k in ("dryRun", "emotion", "count", "orientations", "requested",
                                 "priority", "steps", "endpoints")} == {
        "dryRun": True, "emotion": "CALM", "count": 2, "orientations": ["landscape", "portrait"],
        "requested": 8, "priority": 3, "steps": 50, "endpoints": 2}
    assert plan["sizes"] == {"landscape": "1280x800", "portrait": "800x1280"}
    assert plan["negative"] == prompts.negative_prompt() and plan["seed"] is None
    assert [(row["favorite"], row["folder"], row["images"], row["total"]) for row in plan["plan"]] == [
        ("spring,cloudy", "pool/CALM/spring,cloudy/", {"landscape": 2, "portrait": 2}, 4),
        ("winter,cloudy", "pool/CALM/winter,cloudy/", {"landscape": 2, "portrait": 2}, 4)]
    assert plan["plan"][0]["prompt"].startswith("A flower, spring, cloudy, ")
    assert "watercolor" in plan["plan"][1]["prompt"]


def test_the_plan_s_prompts_are_the_ones_the_job_then_uses(client):
    """The same body without dryRun starts the job; each image's prompt (its provenance) and
    folder are the plan's, and as many as it said."""
    _, plan = call(client, "POST", "/bulk", {**MATRIX, "dryRun": True})
    status, started = call(client, "POST", "/bulk", {**MATRIX, "dryRun": False})
    assert status == 202 and started["requested"] == plan["requested"]
    job = wait_for_job(client, started["jobId"])
    assert job["status"] == "SUCCEEDED", job
    made: dict[tuple[str, str], int] = {}
    for image in job["images"]:
        record = context.current().image_index.get_image(image["key"])
        folder = image["key"].rsplit("/", 1)[0] + "/"
        made[(folder, record.provenance["prompt"])] = made.get((folder, record.provenance["prompt"]), 0) + 1
    assert made == {(row["folder"], row["prompt"]): row["total"] for row in plan["plan"]}


def test_a_dry_run_of_one_favorite_or_none(client):
    _, plan = call(client, "POST", "/bulk", {"emotion": "HAPPY", "count": 5, "dryRun": True,
                                             "orientations": ["portrait"]})
    assert [(r["favorite"], r["folder"], r["images"], r["total"]) for r in plan["plan"]] == [
        (None, "pool/HAPPY/", {"portrait": 5}, 5)]
    assert plan["plan"][0]["prompt"] == prompts.build_prompt("HAPPY") and plan["priority"] == 0
    _, plan = call(client, "POST", "/bulk", {"emotion": "HAPPY", "count": 1, "dryRun": True,
                                             "favorite": "with cat", "seed": 7})
    assert plan["plan"][0]["prompt"].startswith("A flower with cat, ") and plan["seed"] == 7
    assert plan["plan"][0]["folder"] == "pool/HAPPY/with cat/" and plan["requested"] == 2
    assert jobs_made() == 0


@pytest.mark.parametrize("body, message", [
    ({"emotion": "HAPPY", "count": 1, "dryRun": "yes"}, "dryRun must be true"),
    ({"emotion": "HAPPY", "count": 1, "dryRun": 1}, "dryRun must be true"),
    ({"emotion": "HAPPY", "count": 501, "dryRun": True}, "count"),
    ({"emotion": "HAPPY", "count": 1, "priority": 12, "dryRun": True}, "priority"),
])
def test_a_bad_dry_run_is_the_400_a_start_would_get_and_starts_nothing(client, body, message):
    status, answer = call(client, "POST", "/bulk", body)
    assert status == 400 and message in answer["message"], answer
    assert jobs_made() == 0


def test_a_dry_run_checks_the_prompts_as_a_start_does(client):
    status, answer = call(client, "POST", "/bulk", {"emotion": "CALM", "count": 1, "dryRun": True,
                                                    "favorites": ["rose", "p0rn"]})
    assert status == 400 and answer["field"] == "favorite:p0rn" and jobs_made() == 0


def test_a_dry_run_needs_the_admin_key(client):
    status, _ = call(client, "POST", "/bulk", {**MATRIX, "dryRun": True}, key=None)
    assert status == 401 and jobs_made() == 0
