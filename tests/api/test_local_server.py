"""The local server: pages, API and images on one origin; bad requests never crash it."""
from __future__ import annotations

import http.client
import json
import threading

import pytest

from chalicelib.web import context
from tests.images import jpeg
from tests.stacks import threaded_server
from tests.timing import scaled


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)
    with threaded_server() as srv:
        yield srv
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)


def request(server, method, path, body=None, headers=None, source=None):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=scaled(30),   # a loaded machine's first call
                                      source_address=(source, 0) if source else None)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.headers, data  # names case-insensitive, as HTTP says


def test_pages_api_and_images_share_one_origin(server):
    context.current().store.put("emotions/CALM/ah.jpeg", jpeg())
    status, headers, page = request(server, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"Emotion Garden" in page
    status, _, body = request(server, "GET", "/garden?emotion=calm")
    url = json.loads(body)["landscape"][0]["url"]
    assert url == f"{server.url}/emotions/CALM/ah.jpeg"
    status, headers, image = request(server, "GET", "/emotions/CALM/ah.jpeg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and image[:2] == b"\xff\xd8"
    assert "max-age" in headers["Cache-Control"] and headers["ETag"]
    status, _, _ = request(server, "GET", "/emotions/CALM/ah.jpeg", headers={"If-None-Match": headers["ETag"]})
    assert status == 304


def test_the_api_takes_posts_through_the_chalice_gateway(server):
    context.current().store.put("emotions/CALM/ah.jpeg", jpeg())
    status, _, body = request(server, "POST", "/like", json.dumps({"id": "v", "itemId": "emotions/CALM/ah.jpeg"}),
                              {"Content-Type": "application/json"})
    assert status == 200 and json.loads(body)["likes"] == 1


@pytest.mark.parametrize("path", ["/../../etc/passwd", "/emotions/../../../etc/passwd",
                                  "/emotions/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd"])
def test_nothing_outside_the_data_and_page_folders_is_served(server, path):
    status, _, body = request(server, "GET", path)
    assert status in (400, 404) and b"root:" not in body


def test_unknown_paths_are_404_with_a_message(server):
    status, _, body = request(server, "GET", "/no/such/thing")
    assert status == 404 and "no such" in json.loads(body)["message"]


def test_an_oversize_body_is_refused_before_reading(server):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.putrequest("POST", "/like")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(50 * 1024 * 1024))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413 and "exceeds" in json.loads(response.read())["message"]
    conn.close()


def test_concurrent_requests_each_get_their_own_answer(server):
    for emotion in ("HAPPY", "SAD", "ANGRY", "CALM"):
        context.current().store.put(f"emotions/{emotion}/ah.jpeg", jpeg())
    errors = []

    def ask(emotion):
        for _ in range(15):
            status, _, body = request(server, "GET", f"/garden?emotion={emotion}")
            got = json.loads(body)
            if status != 200 or got["emotion"] != emotion or got["landscape"][0]["key"] != f"emotions/{emotion}/ah.jpeg":
                errors.append((emotion, status, got))
    threads = [threading.Thread(target=ask, args=(e,)) for e in ("HAPPY", "SAD", "ANGRY", "CALM") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("framing", [{"Content-Length": "abc"}, {"Transfer-Encoding": "chunked"}])
def test_a_body_left_unread_is_never_taken_for_the_next_request(server, framing):
    import socket
    host, port = server.server_address[:2]
    hidden = b"GET /garden?emotion=HAPPY HTTP/1.1\r\nHost: x\r\n\r\n"
    head = "".join(f"{k}: {v}\r\n" for k, v in framing.items())
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"POST /like HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{head}\r\n".encode()
                     + hidden)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.count(b"HTTP/1.1 ") == 1 and b'"landscape"' not in answer


# --- a production server in front: framing, limits, connections ------------------------------
def _raw(server, data: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes, half-close, and read every answer the server gives."""
    import socket
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:    # the server refused early and closed: read what it said
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:   # a server may reset after answering what it refused
            pass
    return answer


HIDDEN = b"GET /admin/overview HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("head, body", [
    ("Content-Length: 3\r\nContent-Length: 5", b"abcde"),       # two lengths
    ("Content-Length: +5", b"abcde"),
    ("Content-Length: 5_0", b"abcde"),
    ("Content-Length: 0x5", b"abcde"),
    ("Content-Length: -1", b""),
    ("Transfer-Encoding: gzip, chunked", b"5\r\nabcde\r\n0\r\n\r\n"),
    ("Transfer-Encoding: identity", b"abcde"),
])
def test_ambiguous_framing_is_refused_and_the_connection_closed(server, head, body):
    answer = _raw(server, f"POST /like HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{head}\r\n\r\n".encode()
                  + body + HIDDEN)
    statuses = [int(l.split()[1]) for l in answer.split(b"\r\n") if l.startswith(b"HTTP/1.1 ")]
    assert len(statuses) == 1 and statuses[0] in (400, 501), answer[:300]
    assert b'"message"' in answer and b"needs the admin key" not in answer


def test_content_length_beside_chunked_is_refused_not_followed(server):
    # RFC 9112 lets a server follow Transfer-Encoding here; this one refuses the pair outright
    body = b'{"id": "v", "itemId": "emotions/HAPPY/ah.jpeg"}'
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    answer = _raw(server, b"POST /like HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + HIDDEN)
    assert answer.count(b"HTTP/1.1 ") == 1 and answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"both Content-Length and Transfer-Encoding" in answer


def test_a_gets_body_is_read_as_its_body_never_as_a_second_request(server):
    smuggled = HIDDEN
    answer = _raw(server, b"GET /garden?emotion=HAPPY HTTP/1.1\r\nHost: x\r\nContent-Length: "
                  + str(len(smuggled)).encode() + b"\r\n\r\n" + smuggled)
    assert answer.count(b"HTTP/1.1 ") == 1 and b"admin route" not in answer


@pytest.mark.parametrize("line, statuses", [
    (b"GET / HTTP/2.0", (505,)),            # HTTP/2 is never spoken as text
    (b"GET / HTTP/9.9", (505,)),
    (b"GET /a b HTTP/1.1", (400,)),
    (b"GET / FOO/1.1", (400,)),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1", (414, 431)),
])
def test_malformed_request_lines_get_an_answer(server, line, statuses):
    answer = _raw(server, line + b"\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1."), answer[:100]
    assert int(answer.split()[1]) in statuses


def test_a_long_url_is_414_and_huge_headers_are_431(server):
    status, _, body = request(server, "GET", "/garden?emotion=HAPPY&cursor=" + "a" * 9000)
    assert status == 414 and "URL" in json.loads(body)["message"]
    answer = _raw(server, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
    assert int(answer.split()[1]) == 431 and b'"message"' in answer


def test_a_nul_or_bad_utf8_in_the_path_is_400(server):
    for path in ("/%00", "/garden%00", "/%ff%fe"):
        status, headers, body = request(server, "GET", path)
        assert status in (400, 404) and json.loads(body)["message"], path


def test_a_hundred_clients_at_once_are_all_answered_promptly(server):
    import concurrent.futures
    import time
    context.current().store.put("emotions/HAPPY/ah.jpeg", jpeg())
    barrier = threading.Barrier(100)

    def one(index):
        barrier.wait(10)
        started = time.perf_counter()   # a hundred visitors: a hundred addresses, as kiosks have
        status, _, _ = request(server, "GET", "/garden?emotion=HAPPY", source=f"127.0.1.{index + 1}")
        return status, time.perf_counter() - started

    with concurrent.futures.ThreadPoolExecutor(100) as pool:
        results = list(pool.map(one, range(100)))
    assert all(status == 200 for status, _ in results)
    # with a backlog of 5 they came in waves at 1, 4, 9… s; now none waits for a SYN retry
    assert max(seconds for _, seconds in results) < 8


def test_the_main_loop_leaves_a_channel_alone_while_its_worker_sends(server):
    """The I/O loop must not poll a channel as writable while a worker holds its output
    buffer to send it: it cannot flush then, so it would spin with the GIL and starve the
    worker (under 100 clients that cut the server to ~100 requests/s)."""
    import socket
    waitress_server = server._engine.server
    ours, theirs = socket.socketpair()
    channel = waitress_server.channel_class(waitress_server, ours, ("127.0.0.1", 1), waitress_server.adj, map={})
    try:
        channel.requests.append(object())      # a task is running for this connection
        channel.outbufs[-1].append(b"HTTP/1.1 200 OK\r\n")
        channel.total_outbufs_len = 17         # its first bytes are written, not yet sent
        held, release = threading.Event(), threading.Event()

        def worker():
            with channel.outbuf_lock:
                held.set()
                release.wait(10)

        thread = threading.Thread(target=worker)
        thread.start()
        held.wait(10)
        assert not channel.writable()          # the worker is sending: nothing for the loop to do
        release.set()
        thread.join(10)
        assert channel.writable()              # the worker left bytes behind: the loop sends them
        channel.requests.clear()
        assert channel.writable()
        channel.total_outbufs_len = 0
        assert not channel.writable()
    finally:
        channel.del_channel({})
        ours.close()
        theirs.close()


def test_a_large_answer_read_slowly_arrives_whole(server):
    import socket
    import time
    big = jpeg() + bytes(range(256)) * 24_000      # ~6 MB: more than the socket buffers hold
    context.current().store.put("emotions/CALM/bigh.jpeg", big)
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"GET /emotions/CALM/bigh.jpeg HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /garden?emotion=CALM HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)                          # the server meets a full socket buffer
        received = bytearray()
        while len(received) < len(big) + 1000 or not received.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, rest = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and rest[:len(big)] == big
    assert b'"landscape"' in rest[len(big):]     # and the pipelined request after it was answered


def test_idle_connections_are_closed_and_hold_no_thread(monkeypatch):
    import socket
    import time

    from chalicelib.web import local_server
    monkeypatch.setattr(local_server, "IDLE_SECONDS", 1)
    with threaded_server() as srv:
        before = threading.active_count()
        idle = [socket.create_connection(srv.server_address[:2], timeout=10) for _ in range(50)]
        for sock in idle[:25]:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")   # slowloris: headers never end
        time.sleep(0.5)
        assert threading.active_count() <= before + 1   # no thread per connection
        status, _, _ = request(srv, "GET", "/garden?emotion=HAPPY")
        assert status == 200    # the server still answers others meanwhile
        time.sleep(3.5)
        closed = 0
        for sock in idle:
            sock.settimeout(2)
            try:
                closed += sock.recv(1) == b""
            except (ConnectionResetError, TimeoutError):
                closed += 0
            sock.close()
        assert closed == 50


# --- headers ---------------------------------------------------------------------------------
def test_pages_carry_a_strict_content_security_policy(server):
    status, headers, _ = request(server, "GET", "/")
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("method, path, body, admin", [
    ("GET", "/garden?emotion=HAPPY", None, False),
    ("POST", "/garden", {"emotion": "HAPPY"}, False),
    ("GET", "/admin/overview", None, True),
    ("GET", "/pool?emotion=HAPPY", None, True),
    ("POST", "/pool/publish", {"keys": ["pool/HAPPY/nonev.jpeg"]}, True),
    ("POST", "/remove", {"keys": ["pool/HAPPY/nonev.jpeg"]}, True),
    ("GET", "/jobs/nosuchjob", None, False),
    ("GET", "/no/such/route", None, False),
])
def test_every_json_answer_says_json_utf8(server, monkeypatch, method, path, body, admin):
    monkeypatch.setenv("GARDEN_ADMIN_KEY", "a-key-for-the-header-tests")
    headers = {"x-api-key": "a-key-for-the-header-tests"} if admin else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    status, answer_headers, _ = request(server, method, path, json.dumps(body) if body else None, headers)
    assert answer_headers["Content-Type"] == "application/json; charset=utf-8", (status, path)
    assert answer_headers["X-Content-Type-Options"] == "nosniff"


def test_head_on_a_get_route_answers_its_headers_without_a_body(server):
    status, headers, body = request(server, "HEAD", "/garden?emotion=HAPPY")
    assert status == 200 and body == b"" and headers["Content-Type"].startswith("application/json")
    assert int(headers["Content-Length"]) > 0


@pytest.mark.parametrize("path", ["/garden?emotion=HAPPY", "/favorites?emotion=HAPPY", "/jobs/nope",
                                  "/css/base.css", "/no-such-page"])
def test_head_sends_no_body_so_the_next_answer_on_the_connection_is_read_right(server, path):
    import socket
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /favorites?emotion=CALM HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    first, _, rest = received.partition(b"\r\n\r\n")
    assert b"Content-Length" in first
    assert rest.startswith(b"HTTP/1.1 200"), rest[:80]      # not a stray body of the HEAD
    assert rest.endswith(b'{"emotion":"CALM","favorites":[]}')


def test_a_rate_limited_request_says_when_to_retry(server):
    from chalicelib.web import admin
    admin.TEXT2IMAGE_LIMIT.reset()
    try:
        statuses = []
        for _ in range(12):
            status, headers, _ = request(server, "POST", "/text2image", json.dumps({"text": ""}),
                                         {"Content-Type": "application/json"})
            statuses.append(status)
        assert statuses[-1] == 429 and int(headers["Retry-After"]) >= 1
    finally:
        admin.TEXT2IMAGE_LIMIT.reset()


# --- images awaiting review are the operator's only ------------------------------------------
KEY = "a-key-for-the-pool-tests"


@pytest.fixture
def pool_image(server, monkeypatch):
    monkeypatch.setenv("GARDEN_ADMIN_KEY", KEY)
    context.current().store.put("pool/HAPPY/ah.jpeg", jpeg())
    return "/pool/HAPPY/ah.jpeg"


def test_a_pool_image_is_refused_without_the_key(server, pool_image):
    status, _, body = request(server, "GET", pool_image)
    assert status == 403 and "operator" in json.loads(body)["message"]
    status, _, _ = request(server, "GET", pool_image, headers={"x-api-key": "wrong-key-wrong-key"})
    assert status == 403


def test_the_operator_sees_pool_images_by_key_or_by_the_links_get_pool_hands_out(server, pool_image):
    status, headers, image = request(server, "GET", pool_image, headers={"x-api-key": KEY})
    assert status == 200 and image[:2] == b"\xff\xd8" and headers["Cache-Control"].startswith("private")
    status, _, body = request(server, "GET", "/pool?emotion=HAPPY", headers={"x-api-key": KEY})
    url = json.loads(body)["landscape"][0]["url"]
    assert url.startswith(f"{server.url}{pool_image}?") and "signature=" in url
    status, _, image = request(server, "GET", url[len(server.url):])      # as an <img> asks: no key
    assert status == 200 and image[:2] == b"\xff\xd8"


def test_a_tampered_or_expired_link_is_refused(server, pool_image, monkeypatch):
    from urllib.parse import parse_qs, urlsplit
    url = context.current().store.presigned_url("pool/HAPPY/ah.jpeg", 60)
    query = parse_qs(urlsplit(url).query)
    forged = f"{pool_image}?expires={int(query['expires'][0]) + 3600}&signature={query['signature'][0]}"
    assert request(server, "GET", forged)[0] == 403
    other = context.current().store.presigned_url("pool/HAPPY/bh.jpeg", 60).split("?")[1]
    assert request(server, "GET", f"{pool_image}?{other}")[0] == 403       # another image's link
    import time
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)             # long after it expired
    assert request(server, "GET", url[len(server.url):])[0] == 403


def test_garden_images_stay_public(server, pool_image):
    context.current().store.put("emotions/HAPPY/ah.jpeg", jpeg())
    status, headers, _ = request(server, "GET", "/emotions/HAPPY/ah.jpeg")
    assert status == 200 and headers["Cache-Control"].startswith("public")


@pytest.mark.parametrize("path", ["/admin/overview", "/pool?emotion=HAPPY", "/jobs"])
def test_head_on_an_admin_route_needs_the_key_too(server, monkeypatch, path):
    monkeypatch.setenv("GARDEN_ADMIN_KEY", KEY)
    assert request(server, "HEAD", path)[0] == 401
    assert request(server, "HEAD", path, headers={"x-api-key": "wrong-key-wrong-key"})[0] == 403
    status, _, body = request(server, "HEAD", path, headers={"x-api-key": KEY})
    assert status == 200 and body == b""
