"""``emotion-garden jobs list | show | cancel | pause | resume | priority | watch`` on a local
data directory."""
from __future__ import annotations

import json

from chalicelib.catalog.sqlite import SqliteJobStore
from chalicelib.cli import main


def records(data_dir):
    store = SqliteJobStore(data_dir / "catalog.sqlite3")
    store.create_job({"jobId": "20260101T000000-aaaaaaaaaa", "kind": "bulk", "status": "PARTIAL",
                      "requested": 2, "createdAt": "2026-01-01T00:00:00.000Z"})
    store.append_job_entry("20260101T000000-aaaaaaaaaa", "images",
                           {"n": 0, "key": "pool/CALM/img_a_0h.jpeg", "url": "u", "endpoint": "painter:"})
    for n, error in ((1, "EndpointFailed"), (2, "EndpointFailed")):
        store.append_job_entry("20260101T000000-aaaaaaaaaa", "errors",
                               {"n": n, "endpoint": "http://dead", "error": error, "message": "refused"})
    store.create_job({"jobId": "20260102T000000-bbbbbbbbbb", "kind": "text2image",
                      "status": "RUNNING", "requested": 4, "createdAt": "2026-01-02T00:00:00.000Z",
                      "executionId": "arn:aws:states:us-east-1:1:execution:text2image:gone"})
    store.close()


def test_list_show_cancel_and_watch(tmp_path, capsys):
    data = tmp_path / "garden"
    records(data)
    where = ["--data-dir", str(data)]
    assert main(["jobs", "list", *where]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header == "job\tkind\tstatus\tprogress\tcreated"
    assert [line.split("\t")[:3] for line in lines] == [
        ["20260102T000000-bbbbbbbbbb", "text2image", "RUNNING"],
        ["20260101T000000-aaaaaaaaaa", "bulk", "PARTIAL"]]
    assert "1/2 made, 2 failed" in lines[1]
    assert main(["jobs", "list", "--status", "RUNNING", "--limit", "1", *where]) == 0
    assert capsys.readouterr().out.count("\n") == 2          # the header and one job
    assert main(["jobs", "list", "--status", "FAILED", *where]) == 0
    out, err = capsys.readouterr()
    assert out == "job\tkind\tstatus\tprogress\tcreated\n" and err == "no job matches\n"

    assert main(["jobs", "show", "20260101T000000-aaaaaaaaaa", *where]) == 0
    shown = capsys.readouterr().out
    # the dead endpoint is one line, whatever it cost
    assert [l for l in shown.splitlines() if l.startswith("error")] == [
        "error\thttp://dead\tEndpointFailed\t2 failed, 0 retried\trefused"]
    assert main(["jobs", "show", "--json", "20260101T000000-aaaaaaaaaa", *where]) == 0
    assert json.loads(capsys.readouterr().out)["failed"] == 2

    assert main(["jobs", "cancel", "20260102T000000-bbbbbbbbbb", *where]) == 0
    assert "CANCELLED" in capsys.readouterr().out
    assert main(["jobs", "cancel", "20260101T000000-aaaaaaaaaa", *where]) == 2
    assert "only a running job can be cancelled" in capsys.readouterr().err
    assert main(["jobs", "show", "20260103T000000-cccccccccc", *where]) == 2
    assert "no job" in capsys.readouterr().err

    assert main(["jobs", "watch", "20260102T000000-bbbbbbbbbb", *where]) == 1
    assert capsys.readouterr().out.startswith("CANCELLED: 0/4 made")


def test_pause_resume_and_priority(tmp_path, capsys):
    data = tmp_path / "garden"
    store = SqliteJobStore(data / "catalog.sqlite3")
    store.create_job({"jobId": "20260104T000000-dddddddddd", "kind": "bulk", "status": "RUNNING",
                      "requested": 2, "createdAt": "2026-01-04T00:00:00.000Z",
                      "machine": "bulk", "input": {"jobId": "20260104T000000-dddddddddd"}})
    store.close()
    where = ["--data-dir", str(data)]
    assert main(["jobs", "pause", "20260104T000000-dddddddddd", *where]) == 0
    assert "RUNNING (paused)" in capsys.readouterr().out
    assert main(["jobs", "list", *where]) == 0
    assert "RUNNING (paused)" in capsys.readouterr().out
    assert main(["jobs", "priority", "20260104T000000-dddddddddd", "12", *where]) == 2
    assert "from 0 to 9" in capsys.readouterr().err
    assert main(["jobs", "priority", "20260104T000000-dddddddddd", "5", *where]) == 0
    assert "priority 5" in capsys.readouterr().out
    assert main(["jobs", "pause", "20260103T000000-cccccccccc", *where]) == 2
    assert "no job" in capsys.readouterr().err
