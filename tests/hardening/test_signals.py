"""Stopping the local server: SIGTERM (systemd, docker stop, kill) as Ctrl-C does."""
from __future__ import annotations

import signal
import socket
import subprocess
import threading

from .server import ROOT, START_TIMEOUT, command, environment, free_port


def test_sigterm_stops_the_server_cleanly_and_lets_the_port_go(tmp_path):
    port = free_port()
    proc = subprocess.Popen(command(tmp_path / "data", port), cwd=ROOT, env=environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Emotion Garden at" in line:
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(START_TIMEOUT) and proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0          # not -15: it stopped itself, as after Ctrl-C
        with socket.socket() as again:
            again.bind(("127.0.0.1", port))  # and the port is free for the next start
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
