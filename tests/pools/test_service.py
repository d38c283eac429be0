"""The pool service on its own: the overview's reads and a bulk start that fails."""
from __future__ import annotations

import pytest

from chalicelib import curation
from chalicelib.catalog import ImageRecord
from chalicelib.catalog.memory import MemoryJobStore
from chalicelib.catalog.sqlite import SqliteImageIndex
from chalicelib.errors import ServiceUnavailable
from chalicelib.jobs import bulk


class NoScans(SqliteImageIndex):
    def export_likes(self):
        raise AssertionError("the overview read every like in the catalog")

    def iter_images(self, prefix=""):
        raise AssertionError("the overview listed every image")


def record(key: str, emotion: str, area: str = "emotions") -> ImageRecord:
    return ImageRecord(key=key, area=area, emotion=emotion, favorite=None,
                       orientation="landscape" if key.endswith("h.jpeg") else "portrait",
                       created_ms=1_700_000_000_000, size=1)


def test_the_overview_counts_likes_per_emotion_without_reading_the_whole_catalog(tmp_path):
    catalog = NoScans(tmp_path / "c.db")
    for key, emotion in (("emotions/HAPPY/ah.jpeg", "HAPPY"), ("emotions/HAPPY/bv.jpeg", "HAPPY"),
                         ("emotions/SAD/ch.jpeg", "SAD")):
        catalog.apply_created(record(key, emotion), "01")
    catalog.apply_created(record("pool/HAPPY/dh.jpeg", "HAPPY", "pool"), "01")
    for key, visitors in (("emotions/HAPPY/ah.jpeg", 2), ("emotions/HAPPY/bv.jpeg", 1),
                          ("pool/HAPPY/dh.jpeg", 4)):
        for v in range(visitors):
            catalog.like(key, f"v{v}")
    rows = {r["emotion"]: r for r in curation.overview(catalog, catalog)["emotions"]}
    assert (rows["HAPPY"]["published"], rows["HAPPY"]["pool"], rows["HAPPY"]["likes"]) == (2, 1, 3)
    assert (rows["SAD"]["likes"], rows["FEAR"]["likes"]) == (0, 0)
    catalog.close()


class RefusingEngine:
    runner = None

    def start(self, machine, input, name):
        raise ServiceUnavailable("Step Functions is throttling")


def test_a_bulk_start_that_fails_settles_its_job_with_the_reason():
    catalog = MemoryJobStore()
    with pytest.raises(ServiceUnavailable):
        bulk.start_bulk({"emotion": "HAPPY", "count": 2}, jobs=catalog,
                         engine=RefusingEngine(), endpoints=("painter:",))  # type: ignore[arg-type]  # a fake that only refuses to start
    (job_id,) = catalog._jobs
    job = catalog.get_job(job_id)
    assert (job["kind"], job["status"], job["requested"]) == ("bulk", "FAILED", 4)
    assert job["errors"] == [{"endpoint": None, "error": "ServiceUnavailable",
                              "message": "Step Functions is throttling"}]
