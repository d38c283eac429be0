"""Stopping the local server: SIGTERM (systemd, docker stop, kill) as Ctrl-C does."""
from __future__ import annotations

import signal
import socket

from .server import ServerProcess


def test_sigterm_stops_the_server_cleanly_and_lets_the_port_go(tmp_path):
    server = ServerProcess(tmp_path / "data")
    server.start()
    proc = server.proc
    assert proc is not None
    try:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0          # not -15: it stopped itself, as after Ctrl-C
        with socket.socket() as again:
            again.bind(("127.0.0.1", server.port))  # and the port is free for the next start
    finally:
        server.stop()
