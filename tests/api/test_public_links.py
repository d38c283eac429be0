"""Links behind a non-loopback address (``make run HOST=0.0.0.0`` without GARDEN_PUBLIC_URL):
each request gets its garden, zone, pool, share and QR links on the address it reached the
server at — its Host, when that is one of the server's own names or addresses on its port —
and a forged Host gets the server's default, never its own name in a link. Served by the real
threaded local server; requests go to loopback with the Host a phone on the LAN would send."""
from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.web import context
from chalicelib.config import load
from chalicelib.web import origins
from tests.images import jpeg
from tests.timing import scaled

ADMIN_KEY = "links-admin-key-0123456789"
GARDEN_KEY = "emotions/HAPPY/roseh.jpeg"
POOL_KEY = "pool/HAPPY/budh.jpeg"


@contextlib.contextmanager
def _serving(host: str) -> Iterator[int]:
    from app import app
    from chalicelib.web.local_server import make_server
    server = make_server(app, host, 0)
    context.reconfigure(admin_key=ADMIN_KEY)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def port(monkeypatch) -> Iterator[int]:
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)
    with _serving("0.0.0.0") as bound:
        store = context.current().store
        store.put(GARDEN_KEY, jpeg(prov={"prompt": "a rose", "endpoint": "painter:"}))
        store.put(POOL_KEY, jpeg(prov={"prompt": "a bud", "endpoint": "painter:"}))
        yield bound


def get(port: int, path: str, host: str | None, **headers: str) -> tuple[int, Any]:
    """GET over loopback, with ``host`` as the Host header (None: none at all)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=scaled(15))
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode("utf-8", "replace")


def _garden_urls(port: int, host: str | None) -> list[str]:
    status, body = get(port, "/garden?emotion=HAPPY&order=fresh", host)
    assert status == 200, body
    return [item["url"] for item in body["landscape"]]


def _names() -> list[str]:
    """Names a phone on the LAN may use for this machine: its host name, its .local name and
    an interface address (when it has one besides loopback)."""
    short = socket.gethostname().split(".")[0]
    lan = origins.lan_address()
    return [short, f"{short}.local", *([lan] if lan else [])]


def test_links_follow_the_machines_own_name_or_address(port):
    for name in _names():
        expected = f"http://{name.lower()}:{port}"
        assert _garden_urls(port, f"{name}:{port}") == [f"{expected}/{GARDEN_KEY}"], name
        status, zone = get(port, "/zones/1", f"{name}:{port}")
        assert status == 200 and [i["url"] for i in zone["landscape"]] == [f"{expected}/{GARDEN_KEY}"]
        status, pool = get(port, "/pool?emotion=HAPPY", f"{name}:{port}", **{"x-api-key": ADMIN_KEY})
        assert status == 200 and pool["landscape"][0]["url"].startswith(f"{expected}/{POOL_KEY}?")
        status, page = get(port, "/share/HAPPY/roseh", f"{name}:{port}")
        assert status == 200 and f'content="{expected}/share/HAPPY/roseh"' in page, page[:400]
        status, svg = get(port, "/share/HAPPY/roseh/qr.svg", f"{name}:{port}")
        from chalicelib.web.share_page import qr_svg
        assert status == 200 and svg == qr_svg(f"{expected}/share/HAPPY/roseh")


def test_the_signed_pool_link_works_at_the_address_it_names(port):
    name = _names()[0]
    _, pool = get(port, "/pool?emotion=HAPPY", f"{name}:{port}", **{"x-api-key": ADMIN_KEY})
    link = pool["landscape"][0]["url"]
    path = link[len(f"http://{name.lower()}:{port}"):]
    status, _ = get(port, path, f"{name}:{port}")
    assert status == 200


@pytest.mark.parametrize("forged", [
    "evil.example:{port}", "evil.example", "127.0.0.1.evil.example:{port}", "{name}:1",
    "{name}:{port}@evil.example", "{name}:{port}/x", "[::ffff:192.0.2.66]:{port}", "", None,
    "{name}:{port}, evil.example:{port}", "{name}\r\nX: y:{port}"])
def test_a_host_that_is_not_the_servers_own_gets_the_default_links(port, forged):
    default = f"http://127.0.0.1:{port}"
    host = None if forged is None else forged.format(port=port, name=_names()[0])
    if host is not None and ("\r" in host or "\n" in host):
        with pytest.raises(ValueError):   # http.client itself will not send it
            get(port, "/garden?emotion=HAPPY", host)
        return
    status, body = get(port, "/garden?emotion=HAPPY&order=fresh", host)
    assert status == 200 and [i["url"] for i in body["landscape"]] == [f"{default}/{GARDEN_KEY}"]
    status, page = get(port, "/share/HAPPY/roseh", host)
    assert status == 200 and "evil" not in page and f'content="{default}/share/HAPPY/roseh"' in page


def test_loopback_names_are_the_servers_own(port):
    assert _garden_urls(port, f"localhost:{port}") == [f"http://localhost:{port}/{GARDEN_KEY}"]
    assert _garden_urls(port, f"[::1]:{port}") == [f"http://[::1]:{port}/{GARDEN_KEY}"]


def test_concurrent_requests_keep_their_own_links(port):
    hosts = [f"{_names()[0]}:{port}", f"localhost:{port}", f"evil.example:{port}"]
    expected = {hosts[0]: f"http://{_names()[0].lower()}:{port}", hosts[1]: f"http://localhost:{port}",
                hosts[2]: f"http://127.0.0.1:{port}"}
    wrong: list[tuple[str, list[str]]] = []

    def visit(host: str) -> None:
        for _ in range(15):
            urls = _garden_urls(port, host)
            if urls != [f"{expected[host]}/{GARDEN_KEY}"]:
                wrong.append((host, urls))
    threads = [threading.Thread(target=visit, args=(hosts[n % 3],)) for n in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(scaled(60))
    assert not any(t.is_alive() for t in threads) and wrong == []


def test_the_public_url_wins_over_any_host(monkeypatch):
    monkeypatch.setenv("GARDEN_PUBLIC_URL", "https://garden.example.org")
    with _serving("0.0.0.0") as bound:
        context.current().store.put(GARDEN_KEY, jpeg(prov={"prompt": "a rose", "endpoint": "painter:"}))
        assert _garden_urls(bound, f"localhost:{bound}") == [f"https://garden.example.org/{GARDEN_KEY}"]


def test_bound_to_one_address_only_that_address_and_loopback_names_count():
    hosts = origins.own_hosts("192.0.2.77")
    assert "192.0.2.77" in hosts and "localhost" in hosts
    assert socket.gethostname().split(".")[0].lower() not in hosts


def test_the_banner_says_which_url_phones_and_screens_get(monkeypatch):
    settings = load({"GARDEN_DATA_DIR": "/tmp/x"})
    line = origins.announcement("http://0.0.0.0:8001", settings)
    lan = origins.lan_address()
    assert line.startswith("phones and screens get the address they use") and "GARDEN_PUBLIC_URL" in line
    if lan:
        assert f"http://{lan}:8001/" in line
    assert "this machine only" in origins.announcement("http://127.0.0.1:8000", settings)
    given = load({"GARDEN_DATA_DIR": "/tmp/x", "GARDEN_PUBLIC_URL": "https://garden.example.org"})
    assert origins.announcement("http://0.0.0.0:8001", given) == \
        "https://garden.example.org/ for phones and screens (GARDEN_PUBLIC_URL)"


def test_the_start_banner_has_the_links_line_before_the_key(monkeypatch):
    from pathlib import Path

    from chalicelib import config
    from chalicelib.cli.serve import _banner
    from chalicelib.web.credentials import AdminKey
    monkeypatch.delenv("GARDEN_PUBLIC_URL", raising=False)
    settings = config.load().with_overrides(data_dir=Path("/tmp/x"))
    lines = _banner("http://0.0.0.0:8001", settings, None, AdminKey("k" * 20, "test")).splitlines()
    assert lines[4].startswith("  links:          phones and screens get the address they use")
    assert lines[-1].startswith("  admin key:")


def test_a_jobs_images_link_to_the_address_the_client_asks_from(port, monkeypatch):
    """A job's images are made by a worker outside any request (their recorded links are the
    default's); the client polling it from the LAN still gets links at its own address."""
    from chalicelib.jobs import lifecycle
    from tests.timing import wait_until
    monkeypatch.setenv("GARDEN_ENDPOINTS", json.dumps(["painter:"]))
    name = _names()[0]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=scaled(30))
    try:
        conn.request("POST", "/text2image", body=json.dumps({"text": "a calm flower", "wait": 0}),
                     headers={"Host": f"{name}:{port}", "Content-Type": "application/json"})
        response = conn.getresponse()
        started = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 202, started
    wait_until(lambda: lifecycle.get_job(started["jobId"], jobs=context.current().job_store,
                                         engine=context.current().workflow)["status"] != "RUNNING",
               30, "the job to settle")
    recorded = context.current().job_store.get_job(started["jobId"])["images"]
    assert recorded and all(i["url"].startswith(f"http://127.0.0.1:{port}/") for i in recorded)
    status, job = get(port, f"/jobs/{started['jobId']}", f"{name}:{port}")
    expected = f"http://{name.lower()}:{port}/"
    assert status == 200 and job["status"] == "SUCCEEDED", job
    assert [i["url"] for i in job["images"]] == job["urls"]
    assert job["urls"] and all(url.startswith(expected) for url in job["urls"]), job["urls"]
    status, job = get(port, f"/jobs/{started['jobId']}", f"evil.example:{port}")
    assert all(url.startswith(f"http://127.0.0.1:{port}/") for url in job["urls"])
