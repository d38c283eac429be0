"""The local server: a well-kept production HTTP server in front of the local site's WSGI
application (``wsgi.GardenSite``: pages, API through Chalice's local gateway, images).

- Plain HTTP is served by **waitress**: a real listen backlog, a bounded pool of worker threads
  (a request reaches a thread only once it has fully arrived, so slow or idle connections hold
  no thread), idle connections closed after ``IDLE_SECONDS``, at most ``MAX_CONNECTIONS`` open
  and ``Limits.per_client`` from one address (beyond, 429 and closed: one client cannot fill
  the server, loopback included), a request's line and headers due within
  ``Limits.head_seconds`` of the connection or of their first byte (408 and closed: a header
  line now and then no longer keeps a connection forever), request line and headers limited
  (431), bodies limited (413) and kept in memory (never spooled to a temporary file: they are
  visitors' photos), strict framing (400 for a malformed or repeated Content-Length or one
  beside Transfer-Encoding, 501 for a transfer coding other than chunked), 505 for an HTTP
  version other than 1.0 and 1.1.
- HTTPS (``--tls``) is served by **hypercorn** (h11's HTTP/1.1 parser, HTTP/2 over TLS), with
  the same limits (but the cap per address: HTTP's alone) and the same answers: the site is
  adapted here (``_AsgiSite``) rather than by hypercorn's WSGI wrapper, so that a declared
  body over the limit is 413 at once, errors are JSON, and a request's head (and the TLS
  handshake before it) is due as over HTTP; waitress speaks no TLS.
  bench/bench_load.py measures both side by side.
- Stopping (``stop_soon``, from SIGTERM or Ctrl-C) is graceful on both: the server stops
  accepting, answers every request it has received (within ``Limits.grace_seconds``), closes
  idle connections, and only then lets go.

``make_server`` returns a ``GardenServer`` with the small API tests and benchmarks use:
``server_address``, ``url``, ``gateway``, ``serve_forever()``, ``stop_soon()``, ``shutdown()``,
``server_close()``.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import CancelledError, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.app import Chalice

from .. import logs
from . import context
from .headers import SECURITY_HEADERS
from .wsgi import HTML_DIR, JSON_TYPE, MAX_BODY, MAX_HEADER_BYTES, GardenSite

BACKLOG = 1024            # connections the kernel queues before we accept them
THREADS = 8               # worker threads running the app (the app is CPU-bound: 2–16 cores)
MAX_CONNECTIONS = 500     # open connections; beyond, new ones wait in the backlog
IDLE_SECONDS = 30         # an idle or stalled connection is closed after this
PER_CLIENT = 64           # open connections from one address (a kiosk's browser keeps ~6)
HEAD_SECONDS = 10         # a request's line and headers must arrive within this
GRACE_SECONDS = 10        # on stop, requests already received are answered within this

TOO_LARGE = f"the body exceeds {MAX_BODY // (1024 * 1024)} MB"
VERSIONS = ("1.0", "1.1")  # HTTP/1.x as text; HTTP/2 only over TLS, negotiated (ALPN)


@dataclass(frozen=True)
class Tls:
    certificate: Path
    key: Path


@dataclass(frozen=True)
class Limits:
    """What one client may hold, and how long a stop waits; small values for tests."""
    per_client: int = PER_CLIENT
    head_seconds: float = HEAD_SECONDS
    grace_seconds: float = GRACE_SECONDS


def error_response(status: int, reason: str, message: str, close: bool = True) -> bytes:
    """A whole HTTP/1.1 error answer, written by the server itself (no request to answer
    through the app): JSON with a message, as the API answers errors."""
    body = json.dumps({"message": f"{reason}: {message}"}).encode()
    headers = [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body))), *SECURITY_HEADERS]
    if close:
        headers.append(("Connection", "close"))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return f"HTTP/1.1 {status} {reason}\r\n{head}\r\n".encode("latin-1") + body


class GardenServer:
    """One listening socket and the server behind it; ``serve_forever`` blocks until
    ``stop_soon`` or ``shutdown`` (from another thread or a signal handler)."""

    def __init__(self, address: tuple[str, int], app: Chalice, html_dir: Path = HTML_DIR,
                 tls: Tls | None = None, limits: Limits | None = None) -> None:
        self.site = GardenSite(app, html_dir)
        self.gateway = self.site.gateway
        self.tls = tls
        self.limits = limits or Limits()
        self._stopped = threading.Event()   # set while not serving
        self._stopped.set()
        self._stop = threading.Event()
        self._engine: _Waitress | _Hypercorn = (_Hypercorn(address, self.site, tls, self.limits) if tls
                                                else _Waitress(address, self.site, self.limits))
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

    def stop_soon(self) -> None:
        """Ask ``serve_forever`` to stop gracefully and return at once: safe in a signal
        handler (it sets a flag and writes a byte to wake the loop; it takes no lock the
        interrupted thread may hold)."""
        self._stop.set()
        self._engine.wake()

    def shutdown(self) -> None:
        """Stop serving; returns once ``serve_forever`` has returned (the requests received
        answered, within the grace period)."""
        self.stop_soon()
        self._stopped.wait(self.limits.grace_seconds + 10)

    def server_close(self) -> None:
        self._engine.close()


class _Waitress:
    def __init__(self, address: tuple[str, int], site: GardenSite, limits: Limits) -> None:
        from waitress.adjustments import Adjustments
        adj = Adjustments(
            host=address[0], port=address[1], ipv6=":" in address[0], backlog=BACKLOG,
            threads=THREADS, connection_limit=MAX_CONNECTIONS, channel_timeout=IDLE_SECONDS,
            cleanup_interval=1,   # the head deadline is checked each second
            max_request_header_size=MAX_HEADER_BYTES,
            max_request_body_size=MAX_BODY + 1,   # up to MAX_BODY is taken, as wsgi.py does
            # a body is held in memory up to the limit: waitress spools one over 512 KB to a
            # temporary file, and a visitor's photo must never be written to disk
            inbuf_overflow=MAX_BODY + 1024 * 1024,
            ident="EmotionGarden", asyncore_use_poll=True, expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
            log_socket_errors=False)   # a client gone mid-answer is not the server's error
        server_class = _garden_wsgi_server()
        self.server: Any = server_class(site, map={}, adj=adj, sockinfo=adj.listen[0],
                                        limits=limits)
        bound = self.server.socket.getsockname()
        self.address = (str(bound[0]), int(bound[1]))
        self.limits = limits

    def serve(self, stop: threading.Event, poll_interval: float) -> None:
        from waitress import wasyncore
        while not stop.is_set():
            wasyncore.loop(timeout=poll_interval, map=self.server._map, use_poll=True, count=1)
        self._drain(poll_interval)

    def _drain(self, poll_interval: float) -> None:
        """Stop accepting, answer what has been received, close: connections the kernel has
        already queued are taken and read (their clients have sent their requests), a request
        whose head has arrived is answered, a connection with nothing of a request on it is
        closed — all within the grace period; what is left after it is closed."""
        from waitress import wasyncore
        server = self.server
        server.accept_queued()
        server.stop_listening()
        deadline = time.monotonic() + self.limits.grace_seconds
        while True:
            channels = [c for c in list(server._map.values()) if isinstance(c, server.channel_class)]
            for channel in channels:
                if channel.has_nothing_received():
                    channel.handle_close()
            if not any(c.connected for c in channels) or time.monotonic() > deadline:
                break
            wasyncore.loop(timeout=min(poll_interval, 0.05), map=server._map, use_poll=True, count=1)
        for channel in list(server._map.values()):
            if isinstance(channel, server.channel_class):
                channel.handle_close()   # under its output lock: a worker still writing sees it closed

    def wake(self) -> None:
        try:
            self.server.trigger.pull_trigger()
        except OSError:   # closed already: nothing left to wake
            pass

    def close(self) -> None:
        server = self.server
        for channel in list(server._map.values()):
            if isinstance(channel, server.channel_class):
                channel.handle_close()
        server.stop_listening()
        server.trigger.close()
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)


def _garden_wsgi_server() -> Any:
    """waitress's server, keeping each client to its share of connections."""
    from waitress import wasyncore
    from waitress.server import TcpWSGIServer

    channel_class = _json_errors_channel()

    class GardenWSGIServer(TcpWSGIServer):
        def __init__(self, *args: Any, limits: Limits, **kwargs: Any) -> None:
            self.limits = limits
            self.open_by_client: dict[str, int] = {}
            self.capped: set[str] = set()   # clients told so, logged once until they drop below
            super().__init__(*args, **kwargs)
            self.channel_class = channel_class

        def handle_accept(self) -> None:
            self.accept_one()

        def accept_one(self) -> bool:
            """Accept a queued connection; False when none was waiting."""
            try:
                accepted = self.accept()
            except OSError:   # e.g. out of file descriptors: the next turn tries again
                return False
            if accepted is None:
                return False
            conn, addr = accepted
            try:
                self.set_socket_options(conn)
            except OSError:   # the client left before we took it
                conn.close()
                return True
            client = str(addr[0])
            if self.open_by_client.get(client, 0) >= self.limits.per_client:
                self._refuse(conn, client)
                return True
            self.channel_class(self, conn, addr, self.adj, map=self._map)
            return True

        def _refuse(self, conn: socket.socket, client: str) -> None:
            """429 and close, never a read: the answer fits the socket's buffer, so it is sent
            without waiting, and the slot stays with the client's other connections."""
            if client not in self.capped:
                self.capped.add(client)
                logs.event("http.client_capped", logging.WARNING, client=client,
                           connections=self.limits.per_client)
            try:
                conn.setblocking(False)
                conn.send(error_response(429, "Too Many Requests",
                                         f"at most {self.limits.per_client} connections from "
                                         "one address; close some and retry"))
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            conn.close()

        def counted(self, client: str, change: int) -> None:
            left = self.open_by_client.get(client, 0) + change
            if left > 0:
                self.open_by_client[client] = left
            else:
                self.open_by_client.pop(client, None)
            if left < self.limits.per_client:
                self.capped.discard(client)

        def maintenance(self, now: float) -> None:
            super().maintenance(now)    # idle connections
            clock = time.monotonic()
            for channel in list(self.active_channels.values()):
                channel.check_head(clock)

        def accept_queued(self) -> None:
            """Take every connection the kernel has queued (a stop answers them too)."""
            if self.socket is None or not self.accepting:
                return
            for _ in range(BACKLOG):
                if not self.accept_one():
                    break

        def stop_listening(self) -> None:
            """Close the listening socket: new connections are refused, the port is free."""
            if self.socket is not None:
                self.accepting = False
                wasyncore.dispatcher.close(self)

    return GardenWSGIServer


def _json_errors_channel() -> Any:
    """waitress's connection class, answering what it refuses itself (a malformed request,
    headers or body too large, an HTTP version it does not speak, a head too slow) as the API
    answers errors: JSON with a message; and counting its client's connections."""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser, ParsingError
    from waitress.task import ErrorTask
    from waitress.utilities import Error

    class VersionNotSupported(Error):
        code = 505
        reason = "HTTP Version Not Supported"

    class JsonErrorTask(ErrorTask):
        def execute(self) -> None:
            error = self.request.error
            detail = TOO_LARGE if error.code == 413 else error.body
            body = json.dumps({"message": f"{error.reason}: {detail}"}).encode()
            self.status = f"{error.code} {error.reason}"
            self.response_headers.extend([("Content-Type", JSON_TYPE), ("Connection", "close"),
                                          *SECURITY_HEADERS])
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class StrictParser(HTTPRequestParser):
        """waitress follows Transfer-Encoding when Content-Length comes too (RFC 9112 allows
        it); such a request is the classic smuggling attempt, so it is refused outright. And
        waitress answers any version as 1.0 (HTTP/2.0 or 9.9 as text got a 200): a version
        this server does not speak is 505, its body left unread (the connection closes); a
        request line without one is malformed (400, as h11 says under HTTPS)."""
        chunked: bool = False             # waitress's

        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            if self.chunked and "CONTENT_LENGTH" in self.headers:
                raise ParsingError("a request may not carry both Content-Length and "
                                   "Transfer-Encoding")
            if not self.version:
                raise ParsingError("the request line has no HTTP version")
            if self.version not in VERSIONS:
                self.error = VersionNotSupported(f"this server speaks HTTP/1.0 and HTTP/1.1, "
                                                 f"not HTTP/{self.version}")
                self.body_rcv = None
                self.content_length = 0
                self.chunked = False
                self.connection_close = True

    class Channel(HTTPChannel):
        error_task_class = JsonErrorTask
        parser_class = StrictParser
        request: Any = None               # waitress's: the request being received
        close_when_flushed: bool = False  # waitress's
        head_since: float | None = None   # when the head being awaited was due to start
        _timed: object = None             # the request (parser) head_since is for
        _client: str | None = None        # counted in the server's open_by_client

        def __init__(self, server: Any, sock: socket.socket, addr: Any, adj: Any,
                     map: Any = None) -> None:
            self.head_since = time.monotonic()   # the first head is due from the accept
            self._peer = str(addr[0])
            super().__init__(server, sock, addr, adj, map)

        def add_channel(self, map: Any = None) -> None:
            super().add_channel(map)
            if self._client is None:
                self._client = self._peer
                self.server.counted(self._client, +1)

        def del_channel(self, map: Any = None) -> None:
            super().del_channel(map)
            if self._client is not None:
                self.server.counted(self._client, -1)
                self._client = None

        def received(self, data: bytes) -> bool:
            """A request's head is due within the head deadline: the first from the accept,
            each later one from its first byte (between requests the idle timeout rules). A
            byte now and then kept waitress's idle timer from ever running out."""
            result: bool = super().received(data)
            request = self.request
            if request is None or request.headers_finished:
                self.head_since, self._timed = None, request or self
            elif request is not self._timed:
                if self._timed is not None:       # not the first: due from its first byte
                    self.head_since = time.monotonic()
                self._timed = request
            return result

        def check_head(self, now: float) -> None:
            """Called each second (the server's maintenance): a head overdue is answered 408
            and its connection closed. While a request of this connection is answered no
            more is read, so the clock of a head queued behind it starts again."""
            if self.head_since is None or self.will_close or self.close_when_flushed:
                return
            if self.requests:
                self.head_since = now
                return
            if now - self.head_since <= self.server.limits.head_seconds:
                return
            self.head_since = None
            self.request = None
            answer = error_response(408, "Request Timeout",
                                    f"the request line and headers must arrive within "
                                    f"{self.server.limits.head_seconds:g} s")
            with self.outbuf_lock:
                self.outbufs[-1].append(answer)
                self.total_outbufs_len += len(answer)
            self.close_when_flushed = True

        def has_nothing_received(self) -> bool:
            """At a stop: nothing to answer here — no request being answered or waiting, no
            answer left to send, no head complete, and no byte waiting in the socket."""
            if self.requests or self.total_outbufs_len or not self.connected:
                return False
            if self.request is not None and self.request.headers_finished:
                return False
            try:    # a peek, not select(): past 1024 open files select() cannot watch a socket
                waiting = self.socket.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except OSError:      # BlockingIOError: nothing waiting
                return True
            return not waiting   # b"": the client has closed; nothing to answer either

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
    def __init__(self, address: tuple[str, int], site: GardenSite, tls: Tls | None,
                 limits: Limits) -> None:
        _install_hypercorn_classes()
        self.listener = socket.create_server(address, family=socket.AF_INET6 if ":" in address[0]
                                             else socket.AF_INET, backlog=BACKLOG, reuse_port=False)
        bound = self.listener.getsockname()
        self.address = (str(bound[0]), int(bound[1]))
        config = _garden_config()
        config.head_seconds = limits.head_seconds
        if tls:
            config.certfile, config.keyfile = str(tls.certificate), str(tls.key)
        config.backlog = BACKLOG
        config.keep_alive_timeout = IDLE_SECONDS
        config.read_timeout = IDLE_SECONDS
        config.ssl_handshake_timeout = limits.head_seconds   # a stalled handshake: as a slow head
        config.graceful_timeout = limits.grace_seconds
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
            self._loop.set_exception_handler(_one_line_per_connection_error)
            self._trigger = asyncio.Event()
            if stop.is_set():
                return
            self._loop.set_default_executor(ThreadPoolExecutor(THREADS, "https"))
            site: Any = _AsgiSite(self.site)
            await serve(site, self.config, mode="asgi",
                        shutdown_trigger=self._stopping)
        asyncio.run(main())

    async def _stopping(self) -> None:
        """hypercorn stops gracefully once this returns: it stops accepting, closes the
        connections with no request under way, and waits up to ``graceful_timeout`` for the
        answers of the others. A request whose bytes the loop has been handed but not parsed
        yet would count as none: a few turns of the loop first parse what has arrived. The
        listening socket is let go with hypercorn's duplicate: the port is free at once."""
        assert self._trigger is not None
        await self._trigger.wait()
        for _ in range(5):
            await asyncio.sleep(0)
        self.listener.close()
        # hypercorn waits for every connection to close before its graceful_timeout starts,
        # and a TLS connection closes only once its client answers the close (asyncio waits
        # up to 30 s): those left at the end of the grace period are cut
        asyncio.get_running_loop().call_later(self.config.graceful_timeout, self._cut_connections)

    def _cut_connections(self) -> None:
        for connection in list(self.config.connections):
            connection.writer.transport.abort()

    def wake(self) -> None:
        loop, trigger = self._loop, self._trigger
        if loop is not None and trigger is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(trigger.set)
            except RuntimeError:   # the loop closed meanwhile
                pass

    def close(self) -> None:
        self.listener.close()


def _one_line_per_connection_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio logs a connection that failed under TLS (a client closing while it still
    sends, a handshake abandoned) as a 20-line traceback; it is the client's doing and one
    line says it. So is a connection still open at the end of a stop's grace period (Python
    3.12.1's streams log its cancelled task as an error). Anything else is logged as asyncio
    would."""
    error = context.get("exception")
    if isinstance(error, (ssl.SSLError, ConnectionError, TimeoutError)):
        logs.event("https.connection_error", logging.INFO, error=type(error).__name__,
                   reason=str(getattr(error, "reason", "") or error)[:200])
        return
    if isinstance(error, asyncio.CancelledError):
        logs.event("https.connection_closed_at_stop", logging.INFO)
        return
    loop.default_exception_handler(context)


def _garden_config() -> Any:
    """hypercorn's configuration, carrying the head deadline to ``GardenH11Protocol``."""
    from hypercorn.config import Config

    class GardenConfig(Config):
        head_seconds: float = HEAD_SECONDS
        connections: set[Any]   # GardenTCPServer: the connections open, for a stop to cut

    config = GardenConfig()
    config.connections = set()
    return config


_hypercorn_installed = False


def _install_hypercorn_classes() -> None:
    """Two of hypercorn's classes, with what this server adds. hypercorn looks each up by
    name for each connection (``TCPServer`` in ``hypercorn.asyncio.run``, ``H11Protocol`` in
    ``hypercorn.protocol``), so they are replaced there, once; the head deadline and the JSON
    errors apply under this server's configuration only.

    - ``TCPServer``: closing a TLS connection whose client still sends raised ssl.SSLError
      out of the connection's task; during a stop hypercorn gathers those tasks, so one such
      client ended the stop (exit 1) and cut the others' answers short. And each connection
      is listed in the configuration, for a stop to cut what is left after its grace period.
    - ``H11Protocol``: a request's head is due within ``head_seconds`` (hypercorn's read
      timeout is per read: a byte now and then kept a head open), and the errors it answers
      itself (400, 431, 501, 408) are JSON as waitress's."""
    import hypercorn.asyncio.run
    import hypercorn.protocol
    from hypercorn.asyncio.tcp_server import TCPServer
    from hypercorn.events import Closed, RawData
    from hypercorn.protocol.h11 import H11Protocol
    global _hypercorn_installed
    if _hypercorn_installed:
        return
    _hypercorn_installed = True

    class GardenTCPServer(TCPServer):
        async def run(self) -> None:
            live: set[Any] | None = getattr(self.config, "connections", None)
            if live is not None:
                live.add(self)
            try:
                await super().run()
            finally:
                if live is not None:
                    live.discard(self)

        async def _close(self) -> None:
            try:
                await super()._close()
            except OSError:   # ssl.SSLError among them: the connection is closed all the same
                pass

    class GardenH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _late: asyncio.Task[None] | None = None

        async def initiate(self) -> None:
            await super().initiate()
            self._head_clock(start=True)

        async def handle(self, event: Any) -> None:
            if isinstance(event, RawData) and self.stream is None:
                self._head_clock(start=True)      # a later request: due from its first byte
            elif isinstance(event, Closed):
                self._head_clock(start=False)
            await super().handle(event)

        async def _create_stream(self, request: Any) -> None:
            self._head_clock(start=False)         # the head is here
            await super()._create_stream(request)

        def _head_clock(self, start: bool) -> None:
            seconds: float | None = getattr(self.config, "head_seconds", None)
            if seconds is None:   # not this server's configuration: hypercorn's behaviour
                return
            if not start:
                if self._head_timer is not None:
                    self._head_timer.cancel()
                    self._head_timer = None
            elif self._head_timer is None:
                loop = asyncio.get_running_loop()
                self._head_timer = loop.call_later(seconds, self._head_late, loop)

        def _head_late(self, loop: asyncio.AbstractEventLoop) -> None:
            self._head_timer = None
            self._late = loop.create_task(self._close_late())

        async def _close_late(self) -> None:
            seconds = getattr(self.config, "head_seconds", HEAD_SECONDS)
            await self.send(RawData(data=error_response(
                408, "Request Timeout",
                f"the request line and headers must arrive within {seconds:g} s")))
            await self.send(Closed())

        async def _send_error_response(self, status_code: int) -> None:
            if getattr(self.config, "head_seconds", None) is None:
                await super()._send_error_response(status_code)
                return
            reason, message = _H11_ERRORS.get(status_code, ("Bad Request", "the request is malformed"))
            await self.send(RawData(data=error_response(status_code, reason, message)))

    setattr(hypercorn.asyncio.run, "TCPServer", GardenTCPServer)
    setattr(hypercorn.protocol, "H11Protocol", GardenH11Protocol)


# what h11 refuses, said as waitress says it (the status is h11's hint)
_H11_ERRORS = {
    400: ("Bad Request", "the request is malformed"),
    413: ("Request Entity Too Large", TOO_LARGE),
    431: ("Request Header Fields Too Large", f"the request line and headers exceed "
                                             f"{MAX_HEADER_BYTES // 1024} KB"),
    501: ("Not Implemented", "Transfer-Encoding requested is not supported."),
}


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]


class _AsgiSite:
    """The WSGI site as hypercorn's ASGI application. hypercorn's own WSGI wrapper read a
    body to its end before looking at its size (``Content-Length: 10^12`` with a short body
    held the connection open) and then answered 400 with no body; here a declared length over
    the limit is 413 at once, a body is held in memory and never spooled to a file, and the
    answers this layer gives are JSON as waitress's."""

    def __init__(self, site: GardenSite) -> None:
        self.site = site

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":           # a WebSocket: the site has none
            await send({"type": "websocket.close"})
            return
        h2 = scope.get("http_version") == "2"
        if not h2 and scope.get("http_version") not in VERSIONS:
            await _refuse(receive, send, h2, 505, "HTTP Version Not Supported",
                          f"this server speaks HTTP/1.0 and HTTP/1.1, not "
                          f"HTTP/{scope.get('http_version')}")
            return
        declared = [value for name, value in scope["headers"] if name == b"content-length"]
        if declared and declared[0].isdigit() and int(declared[0]) > MAX_BODY:
            await _refuse(receive, send, h2, 413, "Request Entity Too Large", TOO_LARGE)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                await _refuse(receive, send, h2, 413, "Request Entity Too Large", TOO_LARGE)
                return
            if not message.get("more_body"):
                break
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._run, _environ(scope, bytes(body)), send, loop)

    def _run(self, environ: dict[str, Any], send: Send, loop: asyncio.AbstractEventLoop) -> None:
        """The app, in a worker thread; each piece of the answer is handed to the loop and
        waited for (a slow reader holds this thread, as under waitress it holds its buffer)."""
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]

        def put(message: dict[str, Any]) -> None:
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        answer: Iterable[bytes] = self.site(environ, start_response)
        try:
            put({"type": "http.response.start", "status": started["status"],
                 "headers": started["headers"]})
            for chunk in answer:
                if chunk:
                    put({"type": "http.response.body", "body": chunk, "more_body": True})
            put({"type": "http.response.body", "body": b"", "more_body": False})
        except (OSError, RuntimeError, CancelledError, asyncio.CancelledError):
            pass   # the client left, or the server stopped: nobody to answer
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()


async def _refuse(receive: Receive, send: Send, h2: bool, status: int, reason: str,
                  message: str) -> None:
    """Answer an error before the body is read, and close (HTTP/1.1: the rest of the body is
    never read). The client may still be sending: what it sends is taken from hypercorn's
    queue meanwhile, or the queue fills and holds the connection open."""
    async def drain() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    drained = asyncio.ensure_future(drain())
    body = json.dumps({"message": f"{reason}: {message}"}).encode()
    headers = [(b"content-type", JSON_TYPE.encode()), (b"content-length", str(len(body)).encode()),
               *((n.lower().encode(), v.encode()) for n, v in SECURITY_HEADERS)]
    if not h2:                                 # HTTP/2 has no Connection header: the stream ends
        headers.append((b"connection", b"close"))
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
        await asyncio.wait_for(asyncio.shield(drained), 1)
    except (asyncio.TimeoutError, OSError):
        pass
    finally:
        drained.cancel()


def _environ(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The WSGI environ of an ASGI request, as hypercorn's WSGI wrapper builds it."""
    import io
    import sys
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("ascii", "replace"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "https"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    raw_path = scope.get("raw_path")
    if isinstance(raw_path, bytes):   # the path as the client spelled it, as waitress keeps it
        query = scope["query_string"]
        environ["REQUEST_URI"] = (raw_path + (b"?" + query if query else b"")).decode("latin-1")
    if scope.get("client") is not None:
        environ["REMOTE_ADDR"] = scope["client"][0]
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1")
        key = {"content-length": "CONTENT_LENGTH", "content-type": "CONTENT_TYPE"}.get(
            name, "HTTP_" + name.upper().replace("-", "_"))
        value = raw_value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def make_server(app: Chalice, host: str = "127.0.0.1", port: int = 8000,
                tls: Tls | None = None, limits: Limits | None = None) -> GardenServer:
    """The server of ``app`` (the Chalice app at the project's root) for the current
    configuration. Image URLs the API gives out point at this server unless
    GARDEN_PUBLIC_URL says otherwise. Raises OSError when the address is taken."""
    server = GardenServer((host, port), app, tls=tls, limits=limits)
    if not context.current().settings.public_url_given:
        bound_host, bound_port = server.server_address[:2]
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "", "::") else str(bound_host)
        if ":" in shown:
            shown = f"[{shown}]"
        context.reconfigure(public_url=f"{'https' if tls else 'http'}://{shown}:{bound_port}")
    return server
