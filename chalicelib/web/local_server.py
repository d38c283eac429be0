"""The local server: a well-kept production HTTP server in front of the local site's WSGI
application (``wsgi.GardenSite``: pages, API through Chalice's local gateway, images).

- Plain HTTP is served by **waitress**: a real listen backlog, a bounded pool of worker threads
  (a request reaches a thread only once it has fully arrived, so slow or idle connections hold
  no thread), idle connections closed after ``IDLE_SECONDS``, at most ``MAX_CONNECTIONS`` open,
  request line and headers limited (431), bodies limited (413), strict framing (400 for a
  malformed or repeated Content-Length or one beside Transfer-Encoding, 501 for a transfer
  coding other than chunked).
- HTTPS (``--tls``) is served by **hypercorn** (h11's HTTP/1.1 parser, HTTP/2 over TLS), with
  the same limits; waitress speaks no TLS. bench/bench_load.py measures both side by side.

``make_server`` returns a ``GardenServer`` with the small API tests and benchmarks use:
``server_address``, ``url``, ``gateway``, ``serve_forever()``, ``shutdown()``,
``server_close()``.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice import Chalice

from .. import bootstrap
from .headers import SECURITY_HEADERS
from .wsgi import HTML_DIR, JSON_TYPE, MAX_BODY, MAX_HEADER_BYTES, GardenSite

BACKLOG = 1024            # connections the kernel queues before we accept them
THREADS = 8               # worker threads running the app (the app is CPU-bound: 2–16 cores)
MAX_CONNECTIONS = 500     # open connections; beyond, new ones wait in the backlog
IDLE_SECONDS = 30         # an idle or stalled connection is closed after this


@dataclass(frozen=True)
class Tls:
    certificate: Path
    key: Path


class GardenServer:
    """One listening socket and the server behind it; ``serve_forever`` blocks until
    ``shutdown`` (from another thread)."""

    def __init__(self, address: tuple[str, int], app: Chalice, html_dir: Path = HTML_DIR,
                 tls: Tls | None = None) -> None:
        self.site = GardenSite(app, html_dir)
        self.gateway = self.site.gateway
        self.tls = tls
        self._stopped = threading.Event()   # set while not serving
        self._stopped.set()
        self._stop = threading.Event()
        self._engine: _Waitress | _Hypercorn = (_Hypercorn(address, self.site, tls) if tls
                                                else _Waitress(address, self.site))
        self.server_address: tuple[str, int] = self._engine.address

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"{'https' if self.tls else 'http'}://{shown}:{port}"

    def serve_forever(self, poll_interval: float = 0.2) -> None:
        self._stopped.clear()
        try:
            self._engine.serve(self._stop, poll_interval)
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop serving; returns once ``serve_forever`` has returned."""
        self._stop.set()
        self._engine.wake()
        self._stopped.wait(10)

    def server_close(self) -> None:
        self._engine.close()


class _Waitress:
    def __init__(self, address: tuple[str, int], site: GardenSite) -> None:
        from waitress.server import create_server
        self.server: Any = create_server(
            site, host=address[0], port=address[1], ipv6=":" in address[0], backlog=BACKLOG,
            threads=THREADS, connection_limit=MAX_CONNECTIONS, channel_timeout=IDLE_SECONDS,
            cleanup_interval=max(1, IDLE_SECONDS // 6), max_request_header_size=MAX_HEADER_BYTES,
            max_request_body_size=MAX_BODY, ident="EmotionGarden", asyncore_use_poll=True,
            expose_tracebacks=False, clear_untrusted_proxy_headers=True)
        self.server.channel_class = _json_errors_channel()
        bound = self.server.socket.getsockname()
        self.address = (str(bound[0]), int(bound[1]))

    def serve(self, stop: threading.Event, poll_interval: float) -> None:
        from waitress import wasyncore
        while not stop.is_set():
            wasyncore.loop(timeout=poll_interval, map=self.server._map, use_poll=True, count=1)

    def wake(self) -> None:
        self.server.trigger.pull_trigger()

    def close(self) -> None:
        for channel in list(self.server._map.values()):
            channel.close()   # the listening socket, the trigger and every open connection
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)


def _json_errors_channel() -> Any:
    """waitress's connection class, answering what it refuses itself (a malformed request,
    headers or body too large) as the API answers errors: JSON with a message."""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser, ParsingError
    from waitress.task import ErrorTask

    class JsonErrorTask(ErrorTask):
        def execute(self) -> None:
            error = self.request.error
            body = json.dumps({"message": f"{error.reason}: {error.body}"}).encode()
            self.status = f"{error.code} {error.reason}"
            self.response_headers.extend([("Content-Type", JSON_TYPE), ("Connection", "close"),
                                          *SECURITY_HEADERS])
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class StrictParser(HTTPRequestParser):
        """waitress follows Transfer-Encoding when Content-Length comes too (RFC 9112 allows
        it); such a request is the classic smuggling attempt, so it is refused outright."""

        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            if self.chunked and "CONTENT_LENGTH" in self.headers:
                raise ParsingError("a request may not carry both Content-Length and "
                                   "Transfer-Encoding")

    class Channel(HTTPChannel):
        error_task_class = JsonErrorTask
        parser_class = StrictParser

        def writable(self) -> bool:
            """Not while a worker is sending this channel's output itself. waitress's worker
            writes a response and flushes it at once (``send_bytes`` is 1) holding the
            buffer's lock; its main loop counts the channel writable as long as bytes wait,
            so during that send it spins — ``handle_write`` cannot take the lock — holding
            the GIL, and the worker, back from its send, waits a whole switch interval for it
            (5 ms, twice per response). Under load that convoy fed itself: 100 keep-alive
            clients got 80–250 requests/s instead of over 1,000. A worker that could not send
            everything releases the lock and pulls the trigger, and then the channel is
            writable again; so is one whose task waits for the buffer to drain."""
            if not super().writable():
                return False
            if self.will_close or self.close_when_flushed or not self.requests:
                return True
            if self.total_outbufs_len > self.adj.outbuf_high_watermark:
                return True
            if self.outbuf_lock.acquire(False):
                self.outbuf_lock.release()
                return True
            return False

    return Channel


class _Hypercorn:
    def __init__(self, address: tuple[str, int], site: GardenSite, tls: Tls | None) -> None:
        from hypercorn.config import Config
        self.listener = socket.create_server(address, family=socket.AF_INET6 if ":" in address[0]
                                             else socket.AF_INET, backlog=BACKLOG, reuse_port=False)
        bound = self.listener.getsockname()
        self.address = (str(bound[0]), int(bound[1]))
        config = Config()
        if tls:
            config.certfile, config.keyfile = str(tls.certificate), str(tls.key)
        config.backlog = BACKLOG
        config.keep_alive_timeout = IDLE_SECONDS
        config.read_timeout = IDLE_SECONDS
        config.h11_max_incomplete_size = MAX_HEADER_BYTES
        config.h2_max_header_list_size = MAX_HEADER_BYTES
        config.wsgi_max_body_size = MAX_BODY
        config.include_server_header = False
        config.accesslog = None   # wsgi.GardenSite logs each request as one JSON line
        errors = logging.getLogger("emotion_garden.https")
        errors.setLevel(logging.WARNING)   # not "Running on…" under the start banner
        config.errorlog = errors
        self.config, self.site = config, site
        self._loop: asyncio.AbstractEventLoop | None = None
        self._trigger: asyncio.Event | None = None

    def serve(self, stop: threading.Event, poll_interval: float) -> None:
        from hypercorn.asyncio import serve
        # hypercorn closes the socket it is given when it stops: give it a duplicate
        self.config.bind = [f"fd://{os.dup(self.listener.fileno())}"]

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._trigger = asyncio.Event()
            if stop.is_set():
                return
            self._loop.set_default_executor(ThreadPoolExecutor(THREADS, "https"))
            await serve(self.site, self.config, mode="wsgi", shutdown_trigger=self._trigger.wait)
        asyncio.run(main())

    def wake(self) -> None:
        loop, trigger = self._loop, self._trigger
        if loop is not None and trigger is not None and not loop.is_closed():
            loop.call_soon_threadsafe(trigger.set)

    def close(self) -> None:
        self.listener.close()


def make_server(app: Chalice, host: str = "127.0.0.1", port: int = 8000,
                tls: Tls | None = None) -> GardenServer:
    """The server of ``app`` (the Chalice app at the project's root) for the current
    configuration. Image URLs the API gives out point at this server unless
    GARDEN_PUBLIC_URL says otherwise. Raises OSError when the address is taken."""
    server = GardenServer((host, port), app, tls=tls)
    if not bootstrap.settings().public_url_given:
        bound_host, bound_port = server.server_address[:2]
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "", "::") else str(bound_host)
        if ":" in shown:
            shown = f"[{shown}]"
        bootstrap.configure(public_url=f"{'https' if tls else 'http'}://{shown}:{bound_port}")
    return server
