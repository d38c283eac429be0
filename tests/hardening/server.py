"""The local server as a visitor meets it: ``emotion-garden serve`` in a process of its own,
with the environment a test gives it. Only loopback is ever contacted."""
from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "hardening-admin-key"
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def command(data_dir: Path, port: int, *extra: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from garden_cli import main; sys.exit(main())",
            "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir),
            *extra]


def environment(**overrides: str) -> dict[str, str]:
    """A plain environment: the repository importable, the demo off, a known admin key."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
           "GARDEN_DEMO": "0", "GARDEN_ADMIN_KEY": ADMIN_KEY, "LANG": "C.UTF-8"}
    env.update(overrides)
    return env


class ServerProcess:
    """``emotion-garden serve`` in a process group of its own (so that nothing of it outlives
    the test), on one port and data directory: ``start()`` waits for its "Emotion Garden at"
    line; ``stop()`` is Ctrl-C (SIGINT), as an operator would; start again for a restart.
    ``lines`` holds what it printed (stdout and stderr), ``tls`` serves HTTPS."""

    def __init__(self, data_dir: Path, env: Mapping[str, str] | None = None, port: int | None = None,
                 wrapper: Sequence[str] = (), cwd: Path | None = None, tls: bool = False) -> None:
        self.data_dir, self.port = data_dir, port or free_port()
        self.origin = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.env, self.wrapper, self.cwd = dict(env or environment()), tuple(wrapper), cwd or ROOT
        self.tls = tls
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []

    def start(self, timeout: float = START_TIMEOUT) -> None:
        extra = ("--tls",) if self.tls else ()
        proc = self.proc = subprocess.Popen(
            [*self.wrapper, *command(self.data_dir, self.port, *extra)], cwd=self.cwd, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
            preexec_fn=_die_with_parent)
        lines = self.lines = []
        ready = threading.Event()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if "Emotion Garden at" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(timeout) or proc.poll() is not None:
            self.stop()
            raise RuntimeError("the server did not start:\n" + "".join(lines[-40:]))

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            # Ctrl-C to the server itself: a wrapper (strace) must go on watching it stop
            _server_process(proc, wrapped=bool(self.wrapper)).send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        # a wrapper (strace) detaches on Ctrl-C and leaves the server running: end the group
        _signal_group(proc, signal.SIGKILL)


@contextlib.contextmanager
def serving(data_dir: Path, env: Mapping[str, str] | None = None, port: int | None = None,
            wrapper: Sequence[str] = (), cwd: Path | None = None) -> Iterator[str]:
    """A started server's origin; stopped with Ctrl-C on leaving."""
    server = ServerProcess(data_dir, env, port, wrapper, cwd)
    server.start()
    try:
        yield server.origin
    finally:
        server.stop()


def _die_with_parent() -> None:
    """In the server's process, before it runs (Linux): SIGKILL when the test's process
    dies, even by SIGKILL (a runner's timeout) — no ``stop()`` runs then, and a server in a
    session of its own outlived it, serving for hours."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):   # not Linux: stop() is all there is
        pass


PR_SET_PDEATHSIG = 1


class _Pid:
    def __init__(self, pid: int) -> None:
        self.pid = pid

    def send_signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)


def _server_process(proc: subprocess.Popen[str], wrapped: bool) -> subprocess.Popen[str] | _Pid:
    """The server's process: ``proc`` itself, or the wrapper's child."""
    if not wrapped:
        return proc
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        children = []
    return _Pid(int(children[0])) if children else proc


def _signal_group(proc: subprocess.Popen[str], signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass


def connection(origin: str, timeout: float = 30,
               source: str | None = None) -> http.client.HTTPConnection:
    """A connection to ``origin`` (https: the server's own self-signed certificate taken)."""
    scheme, _, address = origin.partition("://")
    host, port = address.split(":")
    bind = (source, 0) if source else None
    if scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        return http.client.HTTPSConnection(host, int(port), timeout=timeout, source_address=bind,
                                           context=context)
    return http.client.HTTPConnection(host, int(port), timeout=timeout, source_address=bind)


def call(origin: str, method: str, path: str, body: bytes | str | None = None,
         headers: Mapping[str, str] | None = None, timeout: float = 30,
         source: str | None = None) -> tuple[int, dict[str, str], Any]:
    """One request (from the loopback address ``source``, when given: the server then sees
    another client); the body parsed as JSON when it is JSON."""
    conn = connection(origin, timeout, source)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        data = body.encode() if isinstance(body, str) else body
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if data is not None:
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        response = conn.getresponse()
        raw = response.read()
        found = {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
    try:
        return response.status, found, json.loads(raw)
    except ValueError:
        return response.status, found, raw
