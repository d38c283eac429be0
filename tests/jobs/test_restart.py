"""Restart recovery, for real: the local server runs as its own process with its own data
directory and a slow HTTP endpoint; it is killed with SIGKILL in the middle of a bulk job and
started again; the job goes on from where it was and completes, each image made once."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chalicelib.generators.endpoint_server import serve_endpoint
from tests.workflow.fakes import ScriptedGenerator

ROOT = Path(__file__).resolve().parents[2]
KEY = "restart-admin-key-0123456789"
BUDGET = 90.0     # seconds for the whole test, both servers included


class Server:
    """``emotion-garden serve`` as a child process; its URL read from its banner."""

    def __init__(self, data_dir: Path, endpoints: list[str]) -> None:
        env = {**os.environ, "GARDEN_DATA_DIR": str(data_dir), "GARDEN_ADMIN_KEY": KEY,
               "GARDEN_ENDPOINTS": json.dumps(endpoints), "GARDEN_DEMO": "0",
               "GARDEN_BACKEND": "local"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from garden_cli import main; sys.exit(main())",
             "serve", "--port", "0"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        deadline = time.monotonic() + 60
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if match := re.search(r"Emotion Garden at (http://\S+?)/ ", line):
                self.url = match.group(1)
                return
        self.kill()
        raise AssertionError("the server did not start:\n" + "".join(self.lines))

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.url + path, method=method, data=json.dumps(body).encode() if body else None,
            headers={"Content-Type": "application/json", "x-api-key": KEY})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def banner_rest(self) -> str:
        """What the server printed after its banner (read once it has been killed)."""
        assert self.process.stdout is not None
        return "".join(self.lines) + self.process.stdout.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


def poll(server: Server, job_id: str, until, deadline: float) -> dict:
    while True:
        view = server.call("GET", f"/jobs/{job_id}")
        if until(view) or time.monotonic() > deadline:
            return view
        time.sleep(0.1)


@pytest.mark.slow
def test_a_job_killed_with_its_server_completes_after_a_restart(tmp_path):
    deadline = time.monotonic() + BUDGET
    painter = ScriptedGenerator("http:")
    with serve_endpoint(painter, delay=0.25) as endpoint:
        first = Server(tmp_path / "garden", [endpoint.url])
        try:
            job_id = first.call("POST", "/bulk", {"emotion": "CALM", "count": 6})["jobId"]
            half = poll(first, job_id, lambda v: v["completed"] >= 6, deadline)
            assert half["status"] == "RUNNING" and 6 <= half["completed"] < 12, half
        finally:
            first.kill()
        second = Server(tmp_path / "garden", [endpoint.url])
        try:
            view = poll(second, job_id, lambda v: v["status"] != "RUNNING", deadline)
            listed = second.call("GET", "/jobs?status=SUCCEEDED")
        finally:
            second.kill()
        assert f"Resumed job {job_id}" in second.banner_rest()
    assert view["status"] == "SUCCEEDED", view
    assert (view["completed"], view["failed"], view["resumed"]) == (12, 0, 1)
    assert sorted(i["n"] for i in view["images"]) == list(range(12))
    # the image in flight when the server died may be made twice, nothing else
    assert len(painter.calls) <= 12 + 1, len(painter.calls)
    assert [j["jobId"] for j in listed["jobs"]] == [job_id]
    pool = sorted(p.name for p in (tmp_path / "garden" / "objects" / "pool" / "CALM").iterdir())
    assert len(pool) == 12
