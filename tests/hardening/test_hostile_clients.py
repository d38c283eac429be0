"""The local server against clients that hold it rather than ask it: heads that trickle in,
one address opening connection after connection, bodies larger than declared or declared
larger than allowed, HTTP versions it does not speak — answered the same over HTTP (waitress)
and HTTPS (hypercorn), in JSON, and never by writing a visitor's photo to disk. Small limits
(``Limits``) keep each test short; every connection is loopback and closed by the test."""
from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import tempfile
from collections.abc import Iterator

import pytest

from chalicelib.web.local_server import Limits, Tls
from chalicelib.web.wsgi import MAX_BODY
from tests.stacks import threaded_server
from tests.timing import scaled, wait_until

KINDS = ["http", "https"]


@contextlib.contextmanager
def serving(kind: str, tmp_path, limits: Limits | None = None) -> Iterator:
    from chalicelib.web import credentials
    tls = None
    if kind == "https":
        cert = credentials.self_signed(tmp_path / "tls", ["127.0.0.1"])
        tls = Tls(cert.certificate, cert.key)
    with threaded_server(tls, limits) as server:
        yield server


@pytest.fixture(params=KINDS)
def server(request, tmp_path, monkeypatch):
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)
    with serving(request.param, tmp_path, Limits(per_client=8, head_seconds=1, grace_seconds=5)) as srv:
        yield srv


def connect(server, source: str | None = None, timeout: float = 10) -> socket.socket:
    sock = socket.create_connection(server.server_address[:2], timeout=scaled(timeout),
                                    source_address=(source, 0) if source else None)
    if not server.tls:
        return sock
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE    # its own self-signed
    return context.wrap_socket(sock, server_hostname="127.0.0.1")


def read_all(sock: socket.socket) -> bytes:
    """Everything the server says until it closes (a reset after its answer ends it too)."""
    answer = b""
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def read_one(sock: socket.socket) -> bytes:
    """One answer with a Content-Length, on a connection that stays open."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def exchange(server, data: bytes, source: str | None = None) -> bytes:
    """Send ``data`` (as much of it as the server takes before it answers) and read the
    answer until the server closes."""
    with connect(server, source) as sock:
        with contextlib.suppress(OSError):    # the server may refuse and close mid-body
            sock.sendall(data)
        return read_all(sock)


def status_and_message(answer: bytes) -> tuple[int, str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1."), answer[:200]
    assert b"application/json" in head, head
    return int(head.split()[1]), json.loads(body)["message"]


# --- a head must arrive in time ---------------------------------------------------------------
def test_a_head_that_trickles_in_is_answered_408_at_the_deadline(server):
    """A header line now and then (each resets an idle timer) no longer holds a connection:
    the head is due within head_seconds of the accept."""
    with connect(server) as sock:
        sock.sendall(b"GET /garden?emotion=HAPPY HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        deadline = scaled(15)
        waited = 0.0
        sock.settimeout(0.2)
        while not answer and waited < deadline:   # the attacker's pace: a line per 0.2 s
            sock.sendall(b"X-Slow: still here\r\n")
            try:
                answer = sock.recv(65536)
            except (TimeoutError, ssl.SSLError, socket.timeout):
                waited += 0.2
            except ConnectionError:
                break
        sock.settimeout(scaled(10))
        answer += read_all(sock)
    status, message = status_and_message(answer)
    assert status == 408 and "within 1 s" in message


def test_a_connection_that_says_nothing_is_closed_at_the_head_deadline(server):
    with connect(server) as sock:
        answer = read_all(sock)       # the server closes it; the test only waits for that
    assert status_and_message(answer)[0] == 408


def test_a_keep_alive_connection_waits_for_its_next_request_as_long_as_idle_allows(server):
    """The deadline is for a head being sent, not for the quiet between requests: a silent
    connection opened after the first answer is cut off, the keep-alive one is not."""
    with connect(server) as sock:
        sock.sendall(b"GET /favorites?emotion=CALM HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_one(sock).startswith(b"HTTP/1.1 200")
        with connect(server) as silent:
            assert status_and_message(read_all(silent))[0] == 408     # the deadline has passed
        sock.sendall(b"GET /favorites?emotion=SAD HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert read_all(sock).startswith(b"HTTP/1.1 200")


# --- one client cannot take every connection --------------------------------------------------
def test_one_address_gets_its_share_of_connections_and_others_are_still_served(tmp_path, monkeypatch):
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)
    with serving("http", tmp_path, Limits(per_client=4, head_seconds=60)) as srv:
        held = [connect(srv, "127.0.0.2") for _ in range(4)]
        try:
            wait_until(lambda: srv._engine.server.open_by_client.get("127.0.0.2") == 4,
                       what="the four connections accepted")
            with connect(srv, "127.0.0.2") as fifth:    # told at once, before it asks anything
                status, message = status_and_message(read_all(fifth))
            assert status == 429 and "at most 4 connections" in message
            answer = exchange(srv, b"GET /favorites?emotion=HAPPY HTTP/1.1\r\nHost: x\r\n"
                                   b"Connection: close\r\n\r\n", "127.0.0.3")
            assert answer.startswith(b"HTTP/1.1 200")          # another client: served at once
            held.pop().close()
            wait_until(lambda: srv._engine.server.open_by_client.get("127.0.0.2") == 3,
                       what="the closed connection counted out")
            answer = exchange(srv, b"GET /favorites?emotion=HAPPY HTTP/1.1\r\nHost: x\r\n"
                                   b"Connection: close\r\n\r\n", "127.0.0.2")
            assert answer.startswith(b"HTTP/1.1 200")          # and the first one again
        finally:
            for sock in held:
                sock.close()


def test_a_slow_head_flood_from_one_address_leaves_the_server_to_others(tmp_path, monkeypatch):
    """Many connections from one address, each sending a head slowly: it keeps its share,
    the rest are refused at once, and a visitor at another address is answered meanwhile."""
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)
    with serving("http", tmp_path, Limits(per_client=8, head_seconds=60)) as srv:
        flood = []
        try:
            for _ in range(40):
                sock = connect(srv, "127.0.0.2")
                flood.append(sock)
                with contextlib.suppress(OSError):
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            wait_until(lambda: srv._engine.server.open_by_client.get("127.0.0.2") == 8,
                       what="the flood's share held")
            answer = exchange(srv, b"GET /favorites?emotion=HAPPY HTTP/1.1\r\nHost: x\r\n"
                                   b"Connection: close\r\n\r\n", "127.0.0.3")
            assert answer.startswith(b"HTTP/1.1 200")
        finally:
            for sock in flood:
                sock.close()


# --- the same answers over HTTP and HTTPS -----------------------------------------------------
def test_a_body_over_the_limit_is_413_in_json(server):
    body = b"x" * (MAX_BODY + 1)
    answer = exchange(server, b"POST /emotion HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                              b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    status, message = status_and_message(answer)
    assert status == 413 and "exceeds 6 MB" in message


def test_a_chunked_body_over_the_limit_is_413_in_json(server):
    chunk = b"x" * (1024 * 1024)
    chunks = b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(7))
    answer = exchange(server, b"POST /emotion HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
    status, message = status_and_message(answer)
    assert status == 413 and "exceeds 6 MB" in message


def test_a_huge_declared_length_is_refused_at_once_not_held_open(server):
    """``Content-Length: 10^12`` and a short body: 413 now, not a connection waiting for a
    terabyte (or for the idle timeout)."""
    with connect(server) as sock:
        sock.sendall(b"POST /emotion HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                     b"Content-Length: 1000000000000\r\n\r\nshort")
        answer = read_all(sock)      # the test waits for the answer and the close, nothing else
    status, message = status_and_message(answer)
    assert status == 413 and "exceeds 6 MB" in message


@pytest.mark.parametrize("head, expected", [
    (b"Transfer-Encoding: gzip", 501),
    (b"Transfer-Encoding: gzip, chunked", 501),
    (b"Content-Length: +5", 400),
    (b"Content-Length: 3\r\nContent-Length: 5", 400),
])
def test_framing_the_server_refuses_is_answered_in_json(server, head, expected):
    answer = exchange(server, b"POST /like HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              + head + b"\r\n\r\nabcde")
    status, message = status_and_message(answer)
    assert status == expected and message


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/9.9", b"HTTP/0.9"])
def test_a_version_other_than_1_0_and_1_1_is_505(server, version):
    answer = exchange(server, b"GET /garden?emotion=HAPPY " + version + b"\r\nHost: x\r\n\r\n")
    status, message = status_and_message(answer)
    assert status == 505 and "HTTP/1.0 and HTTP/1.1" in message


def test_a_request_line_without_a_version_is_400(server):
    assert status_and_message(exchange(server, b"GET /garden?emotion=HAPPY\r\nHost: x\r\n\r\n"))[0] == 400


@pytest.mark.parametrize("path", ["/share/%48APPY/demo-1h", "/share/HAPPY/demo%2D1h",
                                  "/zones/%31", "/garden%3Femotion=HAPPY"])
def test_a_path_with_a_needless_escape_is_not_another_spelling_of_a_route(server, path):
    # one spelling per key on both servers: HTTPS judges the path as the client sent it too
    from chalicelib.web import context
    from tests.images import jpeg
    context.current().store.put("emotions/HAPPY/demo-1h.jpeg", jpeg(prov={"prompt": "a rose"}))
    plain = exchange(server, b"GET /share/HAPPY/demo-1h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert plain.startswith(b"HTTP/1.1 200"), plain[:200]
    answer = exchange(server, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 404"), answer[:300]


def test_a_client_closing_while_it_sends_is_one_log_line_at_most(server, caplog):
    """The server refuses a body and closes while the client is still sending: under TLS
    asyncio logged each such connection as a 20-line ssl.SSLError traceback."""
    caplog.set_level(logging.DEBUG)
    size = MAX_BODY + 4 * 1024 * 1024
    for _ in range(3):
        with connect(server) as sock:
            with contextlib.suppress(OSError):
                sock.sendall(b"POST /emotion HTTP/1.1\r\nHost: x\r\nContent-Length: "
                             + str(size).encode() + b"\r\n\r\n")
                for _ in range(size // 65536 + 1):
                    sock.sendall(b"x" * 65536)
            read_all(sock)
    server.shutdown()       # every connection's end is logged by now
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


# --- a visitor's photo stays in memory --------------------------------------------------------
def test_a_large_photo_is_never_written_to_a_temporary_file(server, monkeypatch):
    """waitress spooled a body over 512 KB into a temporary file (a visitor's photo, whole,
    in /tmp): bodies up to the upload limit stay in memory, over HTTP and HTTPS."""
    made = []
    for name in ("TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile", "mkstemp"):
        real = getattr(tempfile, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            made.append(_name)
            return _real(*args, **kwargs)
        monkeypatch.setattr(tempfile, name, spy)
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * (1_100_000)            # 1.1 MB
    answer = exchange(server, b"POST /emotion HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                              b"Connection: close\r\nContent-Length: " + str(len(photo)).encode()
                              + b"\r\n\r\n" + photo)
    assert int(answer.split()[1]) < 500, answer[:300]    # answered (not a face: a 4xx)
    chunked = b"".join(b"40000\r\n" + b"\x00" * 0x40000 + b"\r\n" for _ in range(5))
    exchange(server, b"POST /emotion HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                     b"Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\n\r\n")
    assert made == []
