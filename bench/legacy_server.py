"""The hand-written local server the garden used before waitress (kept only so that
bench/bench_load.py can measure it side by side with the server that replaced it; never
imported by the app)."""
from __future__ import annotations

import email.utils
import json
import logging
import mimetypes
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from chalice import Chalice

from chalicelib import logs
from chalicelib.web import context
from chalicelib.errors import InvalidKey
from chalicelib.rules.layout import IMAGE_PREFIXES
from chalicelib.storage import ObjectStore
from chalicelib.web.admin import CLIENT_HEADER

HTML_DIR = Path(__file__).resolve().parents[1] / "html"
MAX_BODY = 6 * 1024 * 1024  # Lambda's synchronous payload limit
IMAGE_CACHE = "public, max-age=86400"
PAGE_CACHE = "no-cache"


class GardenServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Chalice, html_dir: Path = HTML_DIR) -> None:
        from chalice.config import Config
        from chalice.local import LocalGateway
        super().__init__(address, GardenHandler)
        self.gateway = LocalGateway(app, Config.create(lambda_timeout=900, lambda_memory_size=1024))
        self.html_dir = html_dir.resolve()

    @property
    def store(self) -> ObjectStore:
        return context.current().store

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class GardenHandler(BaseHTTPRequestHandler):
    server: GardenServer
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every keep-alive response
    disable_nagle_algorithm = True
    server_version = "EmotionGarden"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # one JSON line, no bodies
        logs.event("http.access", method=self.command, path=urlsplit(self.path).path,
                   status=args[1] if len(args) > 1 else None)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_POST(self) -> None:
        self._api()

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    # --- routing ---------------------------------------------------------------------------
    def _dispatch(self, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        try:
            if path.lstrip("/").startswith(IMAGE_PREFIXES):
                return self._image(path.lstrip("/"), head)
            page = self._page_path(path)
            if page is not None:
                return self._file(page, PAGE_CACHE, head)
            return self._api()
        except Exception:  # noqa: BLE001 - never a stack trace to a client
            logs.event("http.error", logging.ERROR, path=path)
            self._json(500, {"message": "internal error"})

    def _page_path(self, path: str) -> Path | None:
        relative = path.lstrip("/") or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        candidate = (self.server.html_dir / relative).resolve()
        if not candidate.is_relative_to(self.server.html_dir):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def _image(self, key: str, head: bool) -> None:
        path_of = getattr(self.server.store, "path", None)
        if path_of is None:  # AWS backend: images live behind CloudFront, not here
            return self._json(404, {"message": "images are served by CloudFront"})
        try:
            path = path_of(key)
        except InvalidKey as exc:
            return self._json(400, {"message": str(exc)})
        if not path.is_file():
            return self._json(404, {"message": f"no image {key}"})
        self._file(path, IMAGE_CACHE, head)

    def _file(self, path: Path, cache: str, head: bool) -> None:
        stat = path.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".js":
            kind = "text/javascript"
        if kind.startswith("text/") or kind.endswith(("json", "javascript")):
            kind += "; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(stat.st_size))
        self.send_header("Cache-Control", cache)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            with path.open("rb") as f:
                while chunk := f.read(256 * 1024):
                    self.wfile.write(chunk)

    def _api(self) -> None:
        from chalice.local import LocalGatewayException
        try:
            body = self._body()
        except ValueError as exc:
            # the body was not read: what follows on this connection is not a request
            self.close_connection = True
            return self._json(int(str(exc).split(":")[0]), {"message": str(exc).split(":", 1)[1].strip()})
        headers = {k.lower(): v for k, v in self.headers.items()}
        # Chalice's local gateway reports every caller as 127.0.0.1: pass the real peer on
        # (replacing any such header a client sent) for the per-client rate limit
        headers[CLIENT_HEADER] = self.client_address[0]
        try:
            response = self.server.gateway.handle_request(self.command, self.path, headers, body)
        except LocalGatewayException as exc:
            if exc.CODE == 403 and b"Missing Authentication Token" in (exc.body or b""):
                return self._json(404, {"message": f"no such page or API route: {urlsplit(self.path).path}"})
            return self._raw(exc.CODE, exc.headers, exc.body or b"")
        except Exception:  # noqa: BLE001
            logs.event("http.error", logging.ERROR, path=urlsplit(self.path).path)
            return self._json(500, {"message": "internal error"})
        raw = response.get("body") or b""
        self._raw(response["statusCode"], response.get("headers") or {},
                  raw if isinstance(raw, bytes) else raw.encode("utf-8"),
                  response.get("multiValueHeaders") or {})

    def _body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise ValueError("411: send the body with a Content-Length")
        length = self.headers.get("Content-Length")
        if length is None:
            return None
        try:
            size = int(length)
        except ValueError:
            raise ValueError("400: Content-Length is not a number") from None
        if size < 0:
            raise ValueError("400: Content-Length is negative")
        if size > MAX_BODY:
            raise ValueError(f"413: the body is over {MAX_BODY // (1024 * 1024)} MB")
        return self.rfile.read(size)

    def _json(self, status: int, body: dict) -> None:
        self._raw(status, {"Content-Type": "application/json"}, json.dumps(body).encode())

    def _raw(self, status: int, headers: dict, body: bytes, multi: dict | None = None) -> None:
        self.send_response(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "")
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, str(value))
        for name, values in (multi or {}).items():
            for value in values:
                self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def make_server(app: Chalice, host: str = "127.0.0.1", port: int = 8000) -> GardenServer:
    """The server of ``app`` (the Chalice app at the project's root) for the current
    configuration. Image URLs the API gives out point at this server unless
    GARDEN_PUBLIC_URL says otherwise."""
    server = GardenServer((host, port), app)
    if not context.current().settings.public_url_given:
        bound_host, bound_port = server.server_address[:2]
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else str(bound_host)
        context.reconfigure(public_url=f"http://{shown}:{bound_port}")
    return server
