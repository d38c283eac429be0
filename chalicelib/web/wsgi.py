"""The local site as one WSGI application: the pages (html/), the stored images, and the API
through Chalice's local gateway (the same routes and middleware as in AWS) — one origin, as
CloudFront gives in AWS. The HTTP server in front of it (``local_server``) parses requests;
this module only routes them and writes answers.

Security headers (``web.headers``) go on every answer, pages and API alike: the policy the
CloudFront response headers policy in infra/template.yaml gives in AWS.
"""
from __future__ import annotations

import base64
import email.utils
import json
import logging
import mimetypes
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chalice.app import Chalice

from .. import config, logs
from ..errors import InvalidKey
from ..rules.layout import HELD, IMAGE_PREFIXES, POOL
from ..storage.folder import FolderObjectStore
from . import origins
from .context import current
from .admin import CLIENT_HEADER, HEADER, matches_admin_key
from .headers import SECURITY_HEADERS, content_security_policy

HTML_DIR = Path(__file__).resolve().parents[2] / "html"
MAX_BODY = 6 * 1024 * 1024  # Lambda's synchronous payload limit
MAX_URL = 8192              # CloudFront's limit for a URL
MAX_HEADER_BYTES = 32 * 1024   # request line and headers together (431 beyond)
IMAGE_CACHE = "public, max-age=86400"
PRIVATE_IMAGE_CACHE = "private, max-age=600"   # pool images: only the operator's browser keeps them
PAGE_CACHE = "no-cache"
# Service worker scripts (relative to html/) and the scope each may control: the wall screen's
# worker serves /display/ (its own folder; the header says so explicitly).
SERVICE_WORKERS = {"display/sw.js": "/display/"}
JSON_TYPE = "application/json; charset=utf-8"

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
               "trailer", "transfer-encoding", "upgrade", "content-length"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class Answer(Exception):
    """An answer decided before the request reached the app (bad path, body too large…)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class GardenSite:
    """The WSGI application of the local site."""

    def __init__(self, app: Chalice, html_dir: Path = HTML_DIR) -> None:
        from chalice.config import Config
        from chalice.local import LocalGateway
        self.gateway = LocalGateway(app, Config.create(lambda_timeout=900, lambda_memory_size=1024))
        self.html_dir = html_dir.resolve()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        status = 500
        path = "?"

        def respond(code: int, headers: list[tuple[str, str]]) -> None:
            nonlocal status
            status = code
            start_response(_phrase(code), headers + self._security(headers))

        # links on the address this request reached the server at, when it is one of the
        # server's own and no GARDEN_PUBLIC_URL fixes them (web.origins); this request's only
        with config.links_on(origins.origin_for(environ, current().settings)):
            try:
                path = _path(environ)
                body = self._route(method, path, environ, respond)
            except Answer as answer:
                body = self._json(respond, answer.status, {"message": str(answer)})
            except Exception:  # noqa: BLE001 - never a stack trace to a client
                logs.event("http.error", logging.ERROR, path=path[:200])
                body = self._json(respond, 500, {"message": "internal error"})
        logs.event("http.access", method=method, path=path[:200], status=status)
        if method == "HEAD":   # the headers of GET, no body: a body here would be read as the next answer
            close = getattr(body, "close", None)
            if close is not None:
                close()
            return [b""]
        return body

    # --- routing -------------------------------------------------------------------------------
    def _route(self, method: str, path: str, environ: Environ, respond: Callable[[int, list[tuple[str, str]]], None]
               ) -> Iterable[bytes]:
        if method in ("GET", "HEAD"):
            relative = path.lstrip("/")
            if relative.startswith((*IMAGE_PREFIXES, f"{HELD}/")):
                return self._image(relative, environ, respond)
            page = self._page_path(path)
            if page is not None:
                scope = SERVICE_WORKERS.get(page.relative_to(self.html_dir).as_posix())
                extra = [("Service-Worker-Allowed", scope)] if scope else []
                return self._file(page, PAGE_CACHE, environ, respond, extra)
        return self._api(method, path, environ, respond)

    def _page_path(self, path: str) -> Path | None:
        relative = path.lstrip("/") or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        try:
            candidate = (self.html_dir / relative).resolve()
            if not candidate.is_relative_to(self.html_dir):
                return None
            if candidate.is_dir():
                candidate = candidate / "index.html"
            return candidate if candidate.is_file() else None
        except (OSError, ValueError):   # a name too long for the filesystem, a NUL…
            return None

    def _image(self, key: str, environ: Environ, respond: Callable[[int, list[tuple[str, str]]], None]
               ) -> Iterable[bytes]:
        store = current().store
        if not isinstance(store, FolderObjectStore):  # AWS: images live behind CloudFront
            raise Answer(404, "images are served by CloudFront")
        cache = IMAGE_CACHE
        if key.startswith((POOL + "/", HELD + "/")):
            # awaiting review, or held by the moderation: only for the operator (the admin key,
            # or a URL GET /pool or GET /held signed)
            if not (self._operator(environ) or store.verify_presigned(key, environ.get("QUERY_STRING", ""))):
                raise Answer(403, "pool and held images are for the operator: open them from the "
                                  f"desk (signed links) or send the admin key in {HEADER}")
            cache = PRIVATE_IMAGE_CACHE
        try:
            file = store.path(key)
            found = file.is_file()
        except InvalidKey as exc:
            raise Answer(400, str(exc)) from None
        except (OSError, ValueError):   # a name too long for the filesystem
            found = False
        if not found:
            raise Answer(404, f"no image {key[:200]}")
        return self._file(file, cache, environ, respond)

    @staticmethod
    def _operator(environ: Environ) -> bool:
        given = environ.get("HTTP_" + HEADER.upper().replace("-", "_"))
        return isinstance(given, str) and bool(given) and matches_admin_key(given, current().settings)

    def _file(self, path: Path, cache: str, environ: Environ,
              respond: Callable[[int, list[tuple[str, str]]], None],
              extra: Sequence[tuple[str, str]] = ()) -> Iterable[bytes]:
        try:
            handle = path.open("rb")   # opened before answering: a file removed meanwhile is a 404
        except OSError:
            raise Answer(404, "no such file") from None
        stat = os.fstat(handle.fileno())
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        common = [("ETag", etag), ("Cache-Control", cache), *extra]
        if etag in _etags(environ.get("HTTP_IF_NONE_MATCH", "")):
            handle.close()
            respond(304, common)
            return [b""]
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".js":
            kind = "text/javascript"
        if kind.startswith("text/") or kind.endswith(("json", "javascript", "svg+xml")):
            kind += "; charset=utf-8"
        respond(200, [("Content-Type", kind), ("Content-Length", str(stat.st_size)), *common,
                      ("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))])
        if environ.get("REQUEST_METHOD") == "HEAD":
            handle.close()
            return [b""]
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None:
            wrapped: Iterable[bytes] = wrapper(handle, 256 * 1024)
            return wrapped
        return _chunks(handle)

    def _api(self, method: str, path: str, environ: Environ,
             respond: Callable[[int, list[tuple[str, str]]], None]) -> Iterable[bytes]:
        from chalice.local import LocalGatewayException
        if _escapes_plain_characters(_raw_path(environ)):
            # /share/%48APPY/demo%2D1h is /share/HAPPY/demo-1h spelled another way: each API
            # path has one spelling (one page, one cache entry, one ETag per key or zone)
            raise Answer(404, f"no such page or API route: {path[:200]} (write letters, "
                              f"digits and - . _ ~ as they are, not %-escaped)")
        headers = _headers(environ)
        # Chalice's local gateway reports every caller as 127.0.0.1: pass the real peer on
        # (replacing any such header a client sent) for the per-client rate limit
        headers[CLIENT_HEADER] = str(environ.get("REMOTE_ADDR") or "unknown")
        query = environ.get("QUERY_STRING", "")
        target = quote(path, safe="/:@!$&'()*+,;=~-._") + (f"?{query}" if query else "")
        body = _body(environ)
        try:
            response = self.gateway.handle_request(method, target, headers, body)
        except LocalGatewayException as exc:
            if exc.CODE == 403 and b"Missing Authentication Token" in (exc.body or b""):
                raise Answer(404, f"no such page or API route: {path[:200]}") from None
            return self._raw(respond, exc.CODE, dict(exc.headers or {}), exc.body or b"", {})
        raw = response.get("body") or b""
        if response.get("isBase64Encoded") and isinstance(raw, str):
            raw = base64.b64decode(raw)
        return self._raw(respond, int(response["statusCode"]), response.get("headers") or {},
                         raw if isinstance(raw, bytes) else raw.encode("utf-8"),
                         response.get("multiValueHeaders") or {})

    # --- answers -------------------------------------------------------------------------------
    @staticmethod
    def _security(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        present = {name.lower() for name, _ in headers}
        extra = [(n, v) for n, v in SECURITY_HEADERS if n.lower() not in present]
        if "content-security-policy" not in present:
            extra.append(("Content-Security-Policy",
                          content_security_policy(config.links_origin(current().settings))))
        return extra

    def _json(self, respond: Callable[[int, list[tuple[str, str]]], None], status: int,
              body: dict[str, Any]) -> Iterable[bytes]:
        return self._raw(respond, status, {"Content-Type": JSON_TYPE}, json.dumps(body).encode(), {})

    @staticmethod
    def _raw(respond: Callable[[int, list[tuple[str, str]]], None], status: int,
             headers: dict[str, Any], body: bytes, multi: dict[str, list[Any]]) -> Iterable[bytes]:
        out = [(str(n), _header_value(v)) for n, v in headers.items() if str(n).lower() not in _HOP_BY_HOP]
        out += [(str(n), _header_value(v)) for n, values in multi.items() for v in values
                if str(n).lower() not in _HOP_BY_HOP]
        if body and not any(n.lower() == "content-type" for n, _ in out):
            out.append(("Content-Type", "application/octet-stream"))
        out.append(("Content-Length", str(len(body))))
        respond(status, out)
        return [body]


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _raw_path(environ: Environ) -> str:
    """The path as the client spelled it (waitress keeps the request line's target; a server
    that keeps only the decoded path gives no spelling to judge)."""
    target = str(environ.get("REQUEST_URI") or "")
    if "://" in target.split("?", 1)[0]:   # absolute form: http://host/path
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    return target.split("?", 1)[0]


def _escapes_plain_characters(raw: str) -> bool:
    """Whether ``raw`` %-escapes a character that needs no escape (a letter, a digit, - . _ ~):
    a spelling of the path that none of our links ever uses."""
    return any(chr(int(code, 16)) in _UNRESERVED for code in _ESCAPE.findall(raw))


def _header_value(value: Any) -> str:
    """A header value that cannot split the response (no CR, LF or other controls)."""
    return _CONTROL.sub(" ", str(value))


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _chunks(handle: Any) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(256 * 1024):
            yield chunk


def _path(environ: Environ) -> str:
    """The request's path, decoded (WSGI hands it over as latin-1 of the raw bytes)."""
    raw = environ.get("PATH_INFO", "") or "/"
    if len(raw) + len(environ.get("QUERY_STRING", "")) > MAX_URL:
        raise Answer(414, f"the URL is over {MAX_URL} characters")
    try:
        path = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise Answer(400, "the path is not valid UTF-8") from None
    head = sum(len(k) + len(str(v)) for k, v in environ.items() if k.startswith("HTTP_"))
    if head + len(raw) + len(environ.get("QUERY_STRING", "")) > MAX_HEADER_BYTES:
        raise Answer(431, f"the request line and headers are over {MAX_HEADER_BYTES // 1024} KB")
    if _CONTROL.search(path):
        raise Answer(400, "the path holds a control character (NUL, newline…)")
    if not path.startswith("/"):
        raise Answer(400, "the path must start with /")
    return path


def _headers(environ: Environ) -> dict[str, str]:
    headers = {key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items()
               if key.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    headers.pop(CLIENT_HEADER, None)
    return headers


def _body(environ: Environ) -> bytes | None:
    """The body the server framed (it refused ambiguous lengths before we were called)."""
    raw = environ.get("CONTENT_LENGTH") or ""
    if not raw:
        return None
    if not raw.isdigit():  # the servers check this too; never trust one
        raise Answer(400, "Content-Length is not a number")
    size = int(raw)
    if size > MAX_BODY:
        raise Answer(413, f"the body is over {MAX_BODY // (1024 * 1024)} MB")
    data: bytes = environ["wsgi.input"].read(size) if size else b""
    if len(data) != size:
        raise Answer(400, "the body is shorter than its Content-Length")
    return data
