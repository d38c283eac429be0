"""The offline promise, kept by the whole server: in a network namespace with no interfaces
but loopback, with a fresh HOME and TMPDIR, the server reads faces, paints and answers — and
writes nothing outside its data directory (no runtime telemetry, caches or logs, and no
visitor's photo in a temporary file, not even one deleted at once)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _unshare_works() -> str | None:
    """None when ``unshare -n`` can make a network namespace here, else why not."""
    if not shutil.which("unshare"):
        return "unshare is not installed"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True, check=False)
    return None if probe.returncode == 0 else f"unshare -n fails: {probe.stderr.strip()}"


def _files(*roots: Path) -> set[str]:
    return {str(Path(dirpath, name)) for root in roots
            for dirpath, dirnames, filenames in os.walk(root)
            for name in filenames + dirnames}


def _created_outside(trace: Path, data_dir: Path) -> list[str]:
    """Lines of an strace log that create a file (or an unnamed temporary one) anywhere but
    the data directory; Python's own bytecode cache aside."""
    created = []
    for line in trace.read_text(errors="replace").splitlines():
        if not re.search(r"\b(open|openat|creat)\(", line) or re.search(r"= -1 ", line):
            continue
        if "creat(" not in line and "O_CREAT" not in line and "O_TMPFILE" not in line:
            continue
        path = re.search(r'"([^"]*)"', line)
        if path and (path.group(1).startswith(str(data_dir)) or "/__pycache__/" in path.group(1)):
            continue
        created.append(line)
    return created


def _remote_connects(trace: Path) -> list[str]:
    """Lines of an strace log that reach for anything but this machine's loopback."""
    remote = []
    for line in trace.read_text(errors="replace").splitlines():
        if "sa_family=AF_INET" not in line:      # AF_UNIX, AF_NETLINK…: local
            continue
        if re.search(r'inet_addr\("127\.|inet_pton\(AF_INET6, "::1"', line):
            continue
        remote.append(line)
    return remote


@pytest.mark.slow
def test_the_server_works_offline_and_writes_only_its_data_dir(tmp_path):
    reason = _unshare_works()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the offline check must run in CI: {reason}")
        pytest.skip(reason)
    data_dir, home, tmp, cwd = (tmp_path / n for n in ("data", "home", "tmp", "cwd"))
    for folder in (home, tmp, cwd):
        folder.mkdir()
    before = _files(home, tmp, cwd)
    trace = tmp_path / "connects.strace"
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, str(HERE / "offline_visit.py"), str(data_dir),
         str(home), str(tmp), str(cwd), str(trace)],
        capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["answers"] == {
        "astronaut.jpeg": [200, "HAPPY"], "astronaut.png": [200, "HAPPY"],
        "astronaut-large.png": [200, "HAPPY"],
        "coffee.jpeg": [404, "No Face"], "text2image": [200, "SUCCEEDED"],
        "overview": [200, 8]}
    assert _files(home, tmp, cwd) - before == set()
    assert (data_dir / "catalog.sqlite3").is_file()   # the data dir was the one written
    if result["traced"]:
        assert _remote_connects(trace) == []
        assert _created_outside(trace, data_dir) == []


def test_the_face_runtime_carries_no_usage_uploader():
    """MediaPipe 0.10.35 and later build in an uploader of usage logs (libcurl, on a timer and
    at exit) that no setting turns off; the pinned release has none. Quick, and runs where a
    network namespace cannot be made."""
    import mediapipe
    library = Path(mediapipe.__file__).parent / "tasks" / "c" / "libmediapipe.so"
    data = library.read_bytes()
    assert b"HttpAsyncClient" not in data and b"portable_clearcut" not in data
