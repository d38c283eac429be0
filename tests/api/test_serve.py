"""``emotion-garden serve``: the admin key kept between starts, HTTPS with a given or a
self-signed certificate, a start banner that ends with the key, and a busy port refused before
any key is printed."""
from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from chalicelib.errors import ConfigError
from chalicelib.web import credentials
from tests.timing import scaled

ROOT = Path(__file__).resolve().parents[2]


# --- the admin key ---------------------------------------------------------------------------
def test_a_key_is_made_once_kept_private_and_reused(tmp_path):
    first = credentials.admin_key(None, tmp_path)
    path = tmp_path / credentials.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first.value) >= 16
    assert credentials.admin_key(None, tmp_path).value == first.value


def test_a_key_file_left_readable_is_made_private_again(tmp_path):
    path = tmp_path / credentials.KEY_FILE
    path.write_text("a-key-someone-wrote-by-hand\n")
    path.chmod(0o644)
    assert credentials.admin_key(None, tmp_path).value == "a-key-someone-wrote-by-hand"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("short", ["", "secret", "fifteen-chars!!"])
def test_a_short_key_is_refused_with_a_message(tmp_path, short):
    with pytest.raises(ConfigError, match="at least 16"):
        credentials.admin_key(short, tmp_path)
    assert not (tmp_path / credentials.KEY_FILE).exists()


def test_a_configured_key_is_used_and_not_written(tmp_path):
    key = credentials.admin_key("sixteen-chars-ok", tmp_path)
    assert key.value == "sixteen-chars-ok" and key.source == "GARDEN_ADMIN_KEY"
    assert not (tmp_path / credentials.KEY_FILE).exists()


# --- TLS -------------------------------------------------------------------------------------
def test_a_self_signed_certificate_is_made_once_and_kept(tmp_path):
    made = credentials.self_signed(tmp_path, ["192.168.1.20"])
    assert made.made and stat.S_IMODE(made.key.stat().st_mode) == 0o600
    again = credentials.self_signed(tmp_path, ["192.168.1.20"])
    assert not again.made and again.fingerprint == made.fingerprint
    from cryptography import x509
    cert = x509.load_pem_x509_certificate(made.certificate.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert {str(a) for a in names.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1", "192.168.1.20"}
    assert len(made.fingerprint.split(":")) == 32


def _https_server(tmp_path):
    from app import app
    from chalicelib.web.local_server import Tls, make_server
    cert = credentials.self_signed(tmp_path, ["127.0.0.1"])
    server = make_server(app, "127.0.0.1", 0, tls=Tls(cert.certificate, cert.key))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, cert


def test_the_server_speaks_https_with_the_kept_certificate(tmp_path, monkeypatch):
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)
    server, cert = _https_server(tmp_path)
    try:
        assert server.url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=str(cert.certificate))
        conn = http.client.HTTPSConnection("127.0.0.1", server.server_address[1], context=context, timeout=10)
        conn.request("GET", "/garden?emotion=HAPPY")
        response = conn.getresponse()
        body = json.loads(response.read())
        assert response.status == 200 and body["emotion"] == "HAPPY"
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        conn.request("GET", "/")
        page = conn.getresponse()
        assert page.status == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
        page.read()
        der = conn.sock.getpeercert(binary_form=True)
        import hashlib
        assert ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest()) == cert.fingerprint
        conn.close()
    finally:
        server.shutdown()
        server.server_close()


def test_https_framing_is_strict_too(tmp_path, monkeypatch):
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)
    server, cert = _https_server(tmp_path)
    try:
        context = ssl.create_default_context(cafile=str(cert.certificate))
        for head in (b"Content-Length: 3\r\nContent-Length: 5", b"Content-Length: +5",
                     b"Transfer-Encoding: gzip, chunked"):
            with socket.create_connection(server.server_address[:2], timeout=10) as raw, \
                    context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
                sock.sendall(b"POST /like HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n\r\nabcde")
                answer = sock.recv(65536)
            assert answer.split()[1] in (b"400", b"501"), (head, answer[:200])
        with socket.create_connection(server.server_address[:2], timeout=10) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
            answer = sock.recv(65536)
        assert answer.split()[1] == b"431", answer[:200]
    finally:
        server.shutdown()
        server.server_close()


# --- the start, as an operator sees it -----------------------------------------------------------
def _serve(tmp_path, port, *extra, env=None, timeout=60):
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
                   "GARDEN_DEMO": "0", "LANG": "C.UTF-8", "HOME": str(tmp_path), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from garden_cli import main; sys.exit(main())",
         "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(tmp_path / "data"), *extra],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _end(proc):
    """Stop a server this test started, whatever happened: SIGTERM, SIGKILL if it has not
    stopped in time, and always wait for it — nothing outlives the test."""
    try:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(scaled(15))
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _banner(proc, until="admin key:", timeout=60):
    lines = []
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if until in line:
                break
    finally:
        timer.cancel()
    return lines


def test_the_banner_ends_with_the_urls_and_the_key_which_survives_a_restart(tmp_path):
    port = _free_port()
    keys = []
    for _ in range(2):
        proc = _serve(tmp_path, port)
        try:
            lines = _banner(proc)
        finally:
            _end(proc)
        assert lines[-1].strip().startswith("admin key:"), lines
        assert any(f"http://127.0.0.1:{port}/admin/" in line for line in lines)
        assert any("text2image.html" in line for line in lines)
        keys.append(lines[-1].split()[2])
    assert keys[0] == keys[1] == (tmp_path / "data" / "admin-key").read_text().strip()


def test_a_busy_port_fails_in_one_line_before_any_key(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = _serve(tmp_path, port)
        try:
            out, err = proc.communicate(timeout=scaled(60))
        finally:
            _end(proc)
    assert proc.returncode == 2
    assert "key" not in out.lower() and "admin-key" not in out
    message = [line for line in err.splitlines() if line.startswith("emotion-garden:")]
    assert len(message) == 1 and str(port) in message[0] and "PORT=" in message[0]
    assert not (tmp_path / "data" / "admin-key").exists()


def test_a_short_configured_key_stops_the_start(tmp_path):
    proc = _serve(tmp_path, _free_port(), env={"GARDEN_ADMIN_KEY": "short"})
    try:
        out, err = proc.communicate(timeout=scaled(60))
    finally:
        _end(proc)
    assert proc.returncode == 2 and "at least 16" in err and "short" not in out


def test_serve_tls_prints_the_fingerprint_of_the_certificate_it_made(tmp_path):
    proc = _serve(tmp_path, _free_port(), "--tls")
    try:
        lines = _banner(proc)
        proc.terminate()
        assert proc.wait(scaled(15)) == 0      # SIGTERM stops the HTTPS server too
    finally:
        _end(proc)
    text = "\n".join(lines)
    fingerprint = credentials.fingerprint((tmp_path / "data" / "tls" / "certificate.pem").read_bytes())
    assert "https://127.0.0.1:" in text and fingerprint in text and "self-signed" in text


# --- the help and the stop, as an operator sees them -----------------------------------------------
def test_serve_help_describes_the_server_and_its_address(capsys):
    from chalicelib.cli import parser
    with pytest.raises(SystemExit) as done:
        parser().parse_args(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert done.value.code == 0
    assert "Run Emotion Garden on this machine" in text and "admin key" in text
    assert "--host HOST the address to listen on (default 127.0.0.1: this machine only;" in text
    assert "--port PORT the port to listen on (default 8000; 0 picks a free one)" in text


def test_the_stopped_server_says_so_in_its_last_line(tmp_path):
    proc = _serve(tmp_path, _free_port())
    try:
        _banner(proc)
        proc.terminate()
        out, _ = proc.communicate(timeout=scaled(30))
    finally:
        _end(proc)
    assert proc.returncode == 0
    assert out.splitlines()[-1] == "Emotion Garden stopped; no job was left running."


def test_the_stopped_server_names_the_jobs_its_next_start_resumes(tmp_path):
    """A bulk job running when SIGTERM comes is named with its progress; a paused one stays
    paused and is not; the next start resumes the one named."""
    from chalicelib.generators.endpoint_server import serve_endpoint
    from tests.hardening.server import call
    from tests.timing import wait_until
    from tests.workflow.fakes import ScriptedGenerator
    key = "closing-lines-admin-key"
    admin = {"x-api-key": key, "Content-Type": "application/json"}
    endpoint = serve_endpoint(ScriptedGenerator("http:"), delay=0.5)
    port = _free_port()
    env = {"GARDEN_ADMIN_KEY": key, "GARDEN_ENDPOINTS": json.dumps([endpoint.url])}
    origin = f"http://127.0.0.1:{port}"
    proc = _serve(tmp_path, port, env=env)
    try:
        _banner(proc)
        started = [call(origin, "POST", "/bulk", json.dumps({"emotion": "CALM", "count": 20}),
                        admin)[2]["jobId"] for _ in range(2)]
        running, paused = started
        assert call(origin, "POST", f"/jobs/{paused}/pause", "{}", admin)[0] == 200
        wait_until(lambda: call(origin, "GET", f"/jobs/{running}")[2]["completed"] >= 1, 60,
                   "the running job's first image")
        proc.terminate()
        out, _ = proc.communicate(timeout=scaled(30))
        assert proc.returncode == 0
        closing = out.split("Emotion Garden stopped", 1)[1].splitlines()
        assert closing[0] == ("; 1 job(s) left running resume on the next start "
                              "(emotion-garden jobs cancel ID drops one):"), out
        assert len(closing) == 2 and closing[1].startswith(f"  {running}  bulk  "), closing
        assert closing[1].endswith("/40 made") and paused not in out
        again = _serve(tmp_path, port, env=env)
        try:
            assert any(f"Resumed job {running}" in line for line in _banner(again))
        finally:
            _end(again)
    finally:
        _end(proc)
        endpoint.close()
