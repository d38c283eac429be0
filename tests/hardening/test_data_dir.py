"""A read-only or broken data directory: the server refuses to start with one clear line;
while running, a failing disk or catalog is a 503 that names no server path, and no job
error shows one."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile

import pytest

from chalicelib.web import context
from chalicelib.web.preflight import data_dir_problem
from tests.hardening.server import ADMIN_KEY, ROOT, command, environment
from tests.images import jpeg

POOL_KEY = "pool/HAPPY/rose/bloomh.jpeg"


def _serve(data_dir, wrapper: list[str] | None = None) -> subprocess.CompletedProcess:
    """Start the server on data_dir; it should refuse at once (a timeout means it started)."""
    return subprocess.run([*(wrapper or []), *command(data_dir, 0)], cwd=ROOT, env=environment(),
                          capture_output=True, text=True, timeout=60, check=False)


def _broken(tmp_path, kind: str):
    data = tmp_path / "data"
    if kind == "a file, not a folder":
        data.write_text("x")
    elif kind == "objects is a file":
        data.mkdir()
        (data / "objects").write_text("x")
    elif kind == "the catalog is not SQLite":
        data.mkdir()
        (data / "catalog.sqlite3").write_bytes(b"this is not a database" * 100)
    elif kind == "the catalog is from a newer version":
        data.mkdir()
        conn = sqlite3.connect(data / "catalog.sqlite3")
        conn.execute("PRAGMA user_version = 99")
        conn.commit()
        conn.close()
    elif kind == "the catalog is a folder":
        (data / "catalog.sqlite3").mkdir(parents=True)
    return data


KINDS = ["a file, not a folder", "objects is a file", "the catalog is not SQLite",
         "the catalog is from a newer version", "the catalog is a folder"]
SAYS = {KINDS[0]: "is not a directory", KINDS[1]: "is not a directory",
        KINDS[2]: "file is not a database", KINDS[3]: "schema version 99",
        KINDS[4]: "is not a file"}


@pytest.mark.parametrize("kind", KINDS)
def test_preflight_names_what_is_wrong(tmp_path, kind):
    problem = data_dir_problem(_broken(tmp_path, kind))
    assert problem is not None and SAYS[kind] in problem and "\n" not in problem


def test_preflight_passes_a_new_or_a_used_data_dir(tmp_path):
    assert data_dir_problem(tmp_path / "new") is None
    assert data_dir_problem(tmp_path / "new") is None   # once made, as the server leaves it


@pytest.mark.parametrize("kind", ["the catalog is not SQLite",
                                  "the catalog is from a newer version"])
def test_the_server_refuses_to_start_with_one_line(tmp_path, kind):
    data = _broken(tmp_path, kind)
    proc = _serve(data)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("emotion-garden: cannot serve:")
    assert str(data) in lines[0] and SAYS[kind] in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr and "Admin key" not in proc.stdout


def test_the_server_refuses_a_read_only_data_dir(tmp_path):
    if not shutil.which("unshare") or \
            subprocess.run(["unshare", "-m", "true"], check=False).returncode:
        if os.environ.get("CI") == "true":
            pytest.fail("unshare -m is needed to mount a read-only data directory")
        pytest.skip("unshare -m (a mount namespace) is not available")
    data = tmp_path / "data"
    (data / "objects").mkdir(parents=True)
    script = (f"mount --bind {data} {data} && mount -o remount,ro,bind {data} && "
              "exec \"$@\"")
    proc = _serve(data, ["unshare", "-m", "sh", "-c", script, "sh"])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == f"emotion-garden: cannot serve: {data} is not writable " \
                                  "(Read-only file system)"


# --- while running ----------------------------------------------------------------------------
def _read_only(*args, **kwargs):
    raise OSError(30, "Read-only file system", f"{tempfile.gettempdir()}/garden/objects/x")


def _no_server_path(text: str) -> None:
    assert str(context.current().settings.data_dir) not in text and "/tmp" not in text


def test_a_store_that_cannot_write_is_503_without_a_path(client, monkeypatch):
    monkeypatch.setenv("GARDEN_ADMIN_KEY", ADMIN_KEY)
    context.current().store.put(POOL_KEY, jpeg())
    from chalicelib.storage import folder
    monkeypatch.setattr(folder.tempfile, "mkstemp", _read_only)
    response = client.http.post("/pool/publish", body=json.dumps({"keys": [POOL_KEY]}),
                                headers={"Content-Type": "application/json",
                                         "x-api-key": ADMIN_KEY})
    assert response.status_code == 503, response.body
    assert json.loads(response.body)["message"] == \
        "the image store cannot write (Read-only file system); try again later"
    _no_server_path(response.body.decode())
    assert context.current().store.exists(POOL_KEY)          # nothing half-moved


def test_a_catalog_that_cannot_be_opened_is_503_without_a_path(client, monkeypatch):
    from chalicelib.catalog.sqlite import db
    context.current().image_index          # opened once, as a running server has it
    context.rebuild()

    def unopenable(self):
        raise sqlite3.OperationalError(f"unable to open database file {self.path}")
    monkeypatch.setattr(db.SqliteDatabase, "_connect", unopenable)
    response = client.http.get("/garden?emotion=HAPPY")
    assert response.status_code == 503, response.body
    assert "the catalog cannot be used" in json.loads(response.body)["message"]
    _no_server_path(response.body.decode())


def test_a_job_error_quoting_a_path_is_shown_without_it(client):
    jobs = context.current().job_store
    path = f"{context.current().settings.data_dir}/objects/text2image/j/.tmp-x"
    jobs.create_job({"jobId": "old-job", "kind": "text2image", "status": "FAILED",
                     "requested": 1, "createdAt": "2026-01-01T00:00:00.000Z"})
    jobs.append_job_entry("old-job", "errors", {
        "n": 0, "endpoint": "http://127.0.0.1:8081/invocations", "error": "OSError",
        "message": f"[Errno 30] Read-only file system: '{path}'"})
    response = client.http.get("/jobs/old-job")
    assert response.status_code == 200
    view = json.loads(response.body)
    assert view["errors"][0]["message"] == "[Errno 30] Read-only file system: '…'"
    assert view["errors"][0]["endpoint"] == "http://127.0.0.1:8081/invocations"
    _no_server_path(response.body.decode())
