"""Stopping the local server: SIGTERM (systemd, docker stop, kill) as Ctrl-C does, over HTTP
and HTTPS — the requests it has received are answered, then it lets the port go and exits 0."""
from __future__ import annotations

import io
import json
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.timing import scaled, wait_until

from .server import ROOT, ServerProcess, call, connection

KINDS = pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
VISITORS = 20


@KINDS
def test_sigterm_stops_the_server_cleanly_and_lets_the_port_go(tmp_path, tls):
    server = ServerProcess(tmp_path / "data", tls=tls)
    server.start()
    proc = server.proc
    assert proc is not None
    try:
        proc.send_signal(signal.SIGTERM)   # at once after the banner: its handler is in place
        assert proc.wait(scaled(15)) == 0          # not -15: it stopped itself, as after Ctrl-C
        with socket.socket() as again:
            again.bind(("127.0.0.1", server.port))  # and the port is free for the next start
    finally:
        server.stop()


def _photo() -> bytes:
    import skimage.data
    from PIL import Image
    out = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).resize((640, 480)).save(out, "JPEG", quality=90)
    return out.getvalue()


def _all_read(port: int, count: int) -> bool:
    """The kernel's view (Linux): ``count`` connections to ``port`` accepted, none with a
    byte the server has not read, none waiting to be accepted — every request is the
    server's now."""
    established = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, queues = fields[1], fields[3], fields[4]
        if int(local.split(":")[1], 16) != port:
            continue
        unread = int(queues.split(":")[1], 16)
        if unread:
            return False
        established += state == "01"
    return established >= count


@KINDS
def test_sigterm_answers_every_request_it_has_received(tmp_path, tls):
    """20 visitors' photos in flight when SIGTERM comes: each is answered whole — read, or
    refused for load with a JSON message — where it reset 19 of 30; and the stop leaves no
    traceback (it logged "Bad file descriptor" under load)."""
    server = ServerProcess(tmp_path / "data", tls=tls)
    server.start()
    proc = server.proc
    assert proc is not None
    photo = _photo()
    answers: list[object] = [None] * VISITORS
    sent: list[int] = []
    lock = threading.Lock()

    def visit(index: int) -> None:
        conn = connection(server.origin, timeout=scaled(60), source=f"127.0.0.{10 + index}")
        try:
            conn.request("POST", "/emotion", body=photo,
                         headers={"Content-Type": "image/jpeg", "X-user-id": f"v{index}"})
            with lock:
                sent.append(index)
            response = conn.getresponse()
            answers[index] = (response.status, json.loads(response.read()))
        except Exception as exc:  # noqa: BLE001 - the test reports what each visitor got
            answers[index] = exc
        finally:
            conn.close()

    try:
        status, _, _ = call(server.origin, "POST", "/emotion", photo, {"Content-Type": "image/jpeg"},
                            timeout=scaled(120))
        assert status == 200                       # the face models are loaded
        visitors = [threading.Thread(target=visit, args=(i,)) for i in range(VISITORS)]
        for thread in visitors:
            thread.start()
        wait_until(lambda: len(sent) == VISITORS, 30, "every photo sent")
        wait_until(lambda: _all_read(server.port, VISITORS - len(
            [a for a in answers if a is not None])), 30, "the server to have every photo")
        proc.send_signal(signal.SIGTERM)
        for thread in visitors:
            thread.join(scaled(60))
        assert proc.wait(scaled(30)) == 0
    finally:
        server.stop()
    statuses = [a[0] if isinstance(a, tuple) else a for a in answers]
    assert all(status in (200, 429, 503) for status in statuses), "; ".join(map(str, statuses))
    assert all(a[1]["emotions"] if a[0] == 200 else a[1]["message"]
               for a in answers if isinstance(a, tuple))
    assert not [line for line in server.lines if "Traceback" in line or "Errno" in line], \
        "".join(server.lines[-60:])


def test_a_server_does_not_outlive_a_test_process_killed_outright(tmp_path):
    """A runner's timeout kills the test's process with SIGKILL: no finally runs, and the
    server, in a session of its own, went on serving. It dies with the process that
    started it."""
    script = ("import os, signal, sys; from pathlib import Path; "
              "from tests.hardening.server import ServerProcess; "
              "server = ServerProcess(Path(sys.argv[1])); server.start(); "
              "print(server.proc.pid, flush=True); os.kill(os.getpid(), signal.SIGKILL)")
    test = subprocess.run([sys.executable, "-c", script, str(tmp_path / "data")], cwd=ROOT,
                          capture_output=True, text=True, timeout=scaled(120), check=False)
    assert test.returncode == -signal.SIGKILL, test.stderr[-2000:]
    pid = int(test.stdout.split()[0])

    def gone() -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        return state in ("Z", "X")      # dead, not yet reaped by its new parent
    wait_until(gone, 15, "the orphaned server to die")
