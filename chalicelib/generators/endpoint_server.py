"""A small threaded HTTP server that serves any Generator over the JumpStart JSON contract:
``POST /invocations`` (also SageMaker runtime's ``/endpoints/NAME/invocations``) and
``GET /ping``. The team's tests and benchmarks use it as a real fake endpoint on 127.0.0.1,
with faults and latency injected; users run several as a local multi-endpoint demo
(``emotion-garden endpoint --count 2``).

Like a GPU it makes one image at a time (a lock), so concurrent callers queue the way they do
on a real endpoint.
"""
from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from ..errors import EndpointThrottled, EndpointTimeout, GardenError, InvalidRequest
from . import GenerationRequest, Generator, jumpstart
from .checks import check_request_size, encode_jpeg

MODES = ("ok", "fail", "throttle", "garbage", "wrong-size", "hang")
MAX_BODY = 1 << 20
_INVOCATIONS = re.compile(r"^(/invocations|/endpoints/[^/]+/invocations)/?$")
# SageMaker runtime names its errors in this header; botocore reads it, so the SageMaker
# adapter can be pointed at this server (endpoint_url) and see real ClientErrors.
_AWS_ERROR = {500: "ModelError", 429: "ThrottlingException", 400: "ValidationError",
              504: "ModelError"}


class EndpointServer:
    """One fake endpoint. ``mode`` and ``delay`` may be changed while it runs; with ``faults``
    set, only that many requests get the fault and later ones are served normally (a
    transient fault, for retry tests)."""

    def __init__(self, generator: Generator, host: str = "127.0.0.1", port: int = 0,
                 delay: float = 0.0, mode: str = "ok", *, faults: int | None = None,
                 hang_seconds: float = 3600.0, verbose: bool = False) -> None:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
        self.generator = generator
        self.mode = mode
        self.delay = float(delay)
        self.faults = faults
        self.hang_seconds = hang_seconds
        self.verbose = verbose
        self.requests = 0            # invocations received
        self.images = 0              # images served successfully
        self._gpu = threading.Lock()
        self._count_lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.endpoint = self
        self.host, self.port = self._httpd.server_address[:2]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"endpoint-{self.port}", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host = str(self.host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def url(self) -> str:
        """The ``http://`` endpoint URI for GARDEN_ENDPOINTS."""
        return self.base_url + "/invocations"

    def close(self) -> None:
        self._closing.set()          # releases hung requests
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EndpointServer({self.url!r}, mode={self.mode!r}, delay={self.delay:g})"

    # -- what one invocation does --------------------------------------------------------

    def _fault(self) -> str:
        with self._count_lock:
            self.requests += 1
            if self.faults is not None and self.requests > self.faults:
                return "ok"
            return self.mode

    def paint(self, request: GenerationRequest) -> bytes:
        """One image, holding the 'GPU'; it takes at least ``delay`` seconds in all."""
        with self._gpu:
            started = time.monotonic()
            jpeg = self.generator.generate(request)
            rest = self.delay - (time.monotonic() - started)
            if rest > 0 and self._closing.wait(rest):
                raise EndpointTimeout("endpoint shut down")
            return jpeg

    def invoke(self, body: object) -> tuple[int, bytes]:
        """(HTTP status, JSON body) for one POST /invocations."""
        mode = self._fault()
        if mode == "throttle":
            return 429, _error("injected throttling")
        if mode == "fail":
            return 500, _error("injected failure")
        if mode == "hang":
            self._closing.wait(self.hang_seconds)
            return 504, _error("injected hang")
        try:
            request = jumpstart.parse_request(body)
            check_request_size(request.width, request.height)
            jpeg = self.paint(request)
        except InvalidRequest as exc:
            return 400, _error(str(exc))
        except EndpointThrottled as exc:
            return 429, _error(str(exc))
        except EndpointTimeout as exc:
            return 504, _error(str(exc))
        except GardenError as exc:
            return 500, _error(str(exc))
        if mode == "garbage":
            return 200, jumpstart.response_body(b"<html>this is not a JPEG</html>", request.prompt)
        if mode == "wrong-size":
            jpeg = _shrunk(jpeg)
        with self._count_lock:
            self.images += 1
        return 200, jumpstart.response_body(jpeg, request.prompt)


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode("utf-8")


def _shrunk(jpeg: bytes) -> bytes:
    import io

    from PIL import Image
    image = Image.open(io.BytesIO(jpeg))
    return encode_jpeg(image.resize((max(8, image.width // 2), max(8, image.height // 2))))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    endpoint: EndpointServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A caller that gave up (its timeout) closes the socket under us: that is expected.
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "EmotionGardenEndpoint/1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.endpoint.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status >= 400 and status in _AWS_ERROR:
            self.send_header("x-amzn-ErrorType", _AWS_ERROR[status])
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/ping":
            self._send(200, b"{}")
        else:
            self._send(404, _error(f"no such path {self.path}"))

    def do_POST(self) -> None:
        if not _INVOCATIONS.match(self.path.split("?", 1)[0]):
            self._send(404, _error(f"no such path {self.path}"))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self._send(400, _error(f"the body must be 1..{MAX_BODY} bytes of JSON"))
            return
        try:
            body = json.loads(self.rfile.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._send(400, _error("the body is not JSON"))
            return
        status, payload = self.server.endpoint.invoke(body)
        if self.server.endpoint._closing.is_set() and status == 504:
            return                   # shutting down: the caller is long gone
        self._send(status, payload)


def serve_endpoint(generator: Generator, host: str = "127.0.0.1", port: int = 0,
                   delay: float = 0.0, mode: str = "ok", **options: Any) -> EndpointServer:
    """Start serving ``generator`` in a daemon thread; ``port=0`` picks a free port.
    Options: ``faults`` (only the first N requests get the fault), ``hang_seconds``,
    ``verbose`` (log requests)."""
    return EndpointServer(generator, host, port, delay, mode, **options)
