"""The wall screen as the local server and the deploy serve it: the page for /display/, its
service worker as JavaScript allowed to control /display/, a page policy that lets the worker
run, and a precache list that names every file the page needs."""
from __future__ import annotations

import io
import mimetypes
import re
from pathlib import Path

import pytest

from chalicelib.web.wsgi import GardenSite
from tools import deploy

HTML = Path(__file__).resolve().parents[2] / "html"


def _get(path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    from app import app
    site = GardenSite(app)
    seen: dict[str, object] = {}

    def start_response(status: str, head: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = int(status.split()[0]), dict(head)

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "wsgi.input": io.BytesIO(),
               **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()}}
    body = b"".join(site(environ, start_response))
    return seen["status"], seen["headers"], body   # type: ignore[return-value]


def test_the_display_folder_serves_its_page_under_a_policy_that_allows_its_worker():
    status, headers, body = _get("/display/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'src="../js/display/display.js"' in body
    policy = headers["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "Service-Worker-Allowed" not in headers   # only the worker's own script says it


def test_the_service_worker_is_javascript_that_may_control_display_and_is_never_stale():
    status, headers, body = _get("/display/sw.js")
    assert status == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["Service-Worker-Allowed"] == "/display/"
    assert headers["Cache-Control"] == "no-cache"
    assert b"self.addEventListener(\"fetch\"" in body
    # a revalidation keeps the header (the browser checks the scope on every update)
    again, head, _ = _get("/display/sw.js", {"If-None-Match": headers["ETag"]})
    assert again == 304 and head["Service-Worker-Allowed"] == "/display/"


def _shell_files() -> list[str]:
    text = (HTML / "display" / "sw.js").read_text(encoding="utf-8")
    listed = re.search(r"const SHELL_FILES = \[(.*?)\];", text, re.DOTALL)
    assert listed, "sw.js names its SHELL_FILES"
    return re.findall(r'"([^"]+)"', listed.group(1))


def _resolve(base: Path, relative: str) -> Path:
    return (base / relative).resolve()


def test_the_worker_keeps_every_file_the_page_loads():
    kept = {_resolve(HTML / "display", name) for name in _shell_files()}
    missing = [p for p in kept if not (p.is_file() or (p / "index.html").is_file())]
    assert missing == []
    page = (HTML / "display" / "index.html").read_text(encoding="utf-8")
    needed = {_resolve(HTML / "display", ref) for ref in re.findall(r'(?:src|href)="([^"]+)"', page)}
    # and every module the page's script imports, however deep
    queue = [p for p in needed if p.suffix == ".js"]
    while queue:
        module = queue.pop()
        for ref in re.findall(r'from\s+"(\.[^"]+)"', module.read_text(encoding="utf-8")):
            found = _resolve(module.parent, ref)
            if found not in needed:
                needed.add(found)
                queue.append(found)
    assert needed - kept == set(), "files the page loads that the worker does not keep for a reload offline"


@pytest.mark.parametrize("key", ["display/index.html", "display/sw.js", "js/display/display.js", "js/display/display-plan.js",
                                 "css/display.css"])
def test_the_deploy_uploads_the_wall_screen(key):
    files = {k: p for p, k in deploy.site_files(HTML, "dev")}
    assert key in files
    kind = mimetypes.guess_type(key)[0]
    assert kind in ("text/html", "text/javascript", "text/css")
    assert deploy.cache_control(key) == ("no-cache" if key.endswith((".html", "sw.js")) else "public, max-age=300")
