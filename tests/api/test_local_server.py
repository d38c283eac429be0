"""The local server: pages, API and images on one origin; bad requests never crash it."""
from __future__ import annotations

import http.client
import json
import threading

import pytest

from chalicelib import bootstrap
from tests.images import jpeg


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)
    from app import app
    from chalicelib.web.local_server import make_server
    srv = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)


def request(server, method, path, body=None, headers=None):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), data


def test_pages_api_and_images_share_one_origin(server):
    bootstrap.store().put("emotions/CALM/ah.jpeg", jpeg())
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
    bootstrap.store().put("emotions/CALM/ah.jpeg", jpeg())
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
    assert response.status == 413 and "MB" in json.loads(response.read())["message"]
    conn.close()


def test_concurrent_requests_each_get_their_own_answer(server):
    for emotion in ("HAPPY", "SAD", "ANGRY", "CALM"):
        bootstrap.store().put(f"emotions/{emotion}/ah.jpeg", jpeg())
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
