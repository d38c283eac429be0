"""Load on the local server over loopback: 100 concurrent keep-alive clients on GET /garden
and on the visitors' mix (80 % garden, 15 % like, 5 % emotion), the production server
(waitress, HTTPS: hypercorn) side by side with the hand-written one it replaced
(bench/legacy_server.py), then a soak of the mix on the production server; then two hostile
cases, briefly: slow heads at the connection cap (how long a new visitor waits meanwhile)
and SIGTERM under load (every request in flight answered?).

Each server runs in a process of its own (as `make run` does); the clients are threads in
this process, each from a loopback address of its own (127.0.1.x: a hundred kiosks are a
hundred addresses, and the server caps connections per address). Settings (environment):
BENCH_LOAD_SECONDS (default 30) per workload, BENCH_LOAD_CLIENTS (100), BENCH_SOAK_SECONDS
(600; 0 skips the soak), BENCH_HOSTILE (1; 0 skips the hostile cases)."""
from __future__ import annotations

import http.client
import io
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .stats import percentile, table

ROOT = Path(__file__).resolve().parent.parent
ADMIN_KEY = "bench-load-admin-key"
TIMEOUT = 10.0
GOALS = {"garden": 250.0, "mix": 1000.0}   # p99, ms

LAUNCH = """
import sys
from chalicelib import demo
from chalicelib.web import context
kind, port, data = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context.reconfigure(data_dir=data, admin_key=sys.argv[4])
from app import app
tls = None
if kind == "legacy":
    from bench.legacy_server import make_server
    server = make_server(app, "127.0.0.1", port)
else:
    from chalicelib.web.local_server import Tls, make_server
    if kind == "https":
        from chalicelib.web import credentials
        cert = credentials.self_signed(context.current().settings.data_dir, ["127.0.0.1"])
        tls = Tls(cert.certificate, cert.key)
    server = make_server(app, "127.0.0.1", port, tls=tls)
if demo.is_empty(context.current().store):
    demo.plant(context.current().store)
print("ready", flush=True)
server.serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _photo() -> bytes:
    import skimage.data
    from PIL import Image
    out = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).resize((640, 480)).save(out, "JPEG", quality=90)
    return out.getvalue()


def client_address(index: int) -> str:
    """Client ``index``'s own loopback address (127.0.1.1, 127.0.1.2, …)."""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def _connection(kind: str, port: int, source: str | None = None,
                timeout: float = TIMEOUT) -> http.client.HTTPConnection:
    bind = (source, 0) if source else None
    if kind == "https":
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE   # its own self-signed
        return http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context,
                                           source_address=bind)
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=bind)


def stop(proc: subprocess.Popen[str]) -> None:
    """A server process asked to end (SIGTERM), killed if it has not within 15 s."""
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class Server:
    def __init__(self, kind: str, data_dir: str) -> None:
        self.kind, self.port = kind, _free_port()
        self.proc = subprocess.Popen([sys.executable, "-c", LAUNCH, kind, str(self.port), data_dir, ADMIN_KEY],
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env={**os.environ, "GARDEN_DEMO": "1", "GARDEN_PUBLIC_URL": ""})
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the {kind} server did not start")

    def connect(self, source: str | None = None) -> http.client.HTTPConnection:
        return _connection(self.kind, self.port, source)

    def rss(self) -> float:
        return _rss_mb(self.proc.pid)

    def stop(self) -> None:
        stop(self.proc)


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _requests(kind: str, keys: list[str], photo: bytes, rng: random.Random, visitor: str):
    draw = rng.random() if kind == "mix" else 0.0
    if draw < 0.80:
        emotion = rng.choice(["HAPPY", "SAD", "CALM", "ANGRY", "SURPRISED", "FEAR", "CONFUSED", "DISGUSTED"])
        return "GET", f"/garden?emotion={emotion}", None, {}
    if draw < 0.95:
        body = json.dumps({"id": visitor, "itemId": rng.choice(keys)})
        return "POST", "/like", body, {"Content-Type": "application/json"}
    return "POST", "/emotion", photo, {"Content-Type": "image/jpeg", "X-user-id": visitor}


def load(server: Server, kind: str, clients: int, seconds: float, keys: list[str], photo: bytes,
         on_minute: list[float] | None = None) -> Run:
    run = Run()
    barrier = threading.Barrier(clients)
    deadline_box: list[float] = []

    def client(index: int) -> None:
        rng = random.Random(index)
        source = client_address(index)
        conn = server.connect(source)
        barrier.wait(60)
        deadline = deadline_box[0]
        n = 0
        while time.perf_counter() < deadline:
            method, path, body, headers = _requests(kind, keys, photo, rng, f"load-{index}-{n}")
            n += 1
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except TimeoutError:
                with run.lock:
                    run.timeouts += 1
                conn.close()
                conn = server.connect(source)
                continue
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = server.connect(source)
            with run.lock:
                run.latencies.append((time.perf_counter() - started) * 1000)
                run.errors += 0 if ok else 1
        conn.close()

    deadline_box.append(time.perf_counter() + seconds + 1.0)   # the barrier releases within ~1 s
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    if on_minute is not None:          # the soak: RSS after the first minute
        time.sleep(min(60.0, seconds))
        on_minute.append(server.rss())
    for t in threads:
        t.join(seconds + 60)
    return run


def _row(label: str, kind: str, clients: int, seconds: float, run: Run, before: float, after: float) -> list[object]:
    lat = run.latencies or [0.0]
    goal = GOALS[kind]
    p99 = percentile(lat, 99)
    return [label, kind, clients, len(run.latencies), f"{len(run.latencies) / seconds:.0f}",
            f"{percentile(lat, 50):.1f}", f"{p99:.0f}", f"{max(lat):.0f}", run.errors, run.timeouts,
            f"{before:.0f} → {after:.0f}", f"≤ {goal:.0f} {'✓' if p99 <= goal and not run.errors and not run.timeouts else '✗'}"]


def _prepare(server: Server) -> list[str]:
    conn = server.connect()
    conn.request("GET", "/garden?emotion=HAPPY")
    garden = json.loads(conn.getresponse().read())
    conn.close()
    return [item["key"] for item in garden["landscape"] + garden["portrait"]]


# --- hostile cases ----------------------------------------------------------------------------
SLOW_HEADS = 510          # the report's attack: more connections than the server keeps open
HEAD_LINE_EVERY = 2.0     # s between an attacker's header lines (each one reset an idle timer)
PROBES = 5                # new visitors timed while the attack holds


def _slow_heads(port: int, sources: list[str], stop_event: threading.Event) -> tuple[list[socket.socket], threading.Thread]:
    """SLOW_HEADS connections, round-robin over ``sources``, each sending a request line and
    then a header line every HEAD_LINE_EVERY s until ``stop_event``; a connection the server
    refuses or closes is dropped (never reopened)."""
    socks: list[socket.socket] = []
    for index in range(SLOW_HEADS):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT,
                                            source_address=(sources[index % len(sources)], 0))
            sock.sendall(b"GET /garden?emotion=HAPPY HTTP/1.1\r\nHost: x\r\n")
            socks.append(sock)
        except OSError:
            pass

    def trickle() -> None:
        while not stop_event.wait(HEAD_LINE_EVERY):
            for sock in list(socks):
                try:
                    sock.sendall(b"X-Slow: still sending\r\n")
                except OSError:
                    socks.remove(sock)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    return socks, thread


def _probe(kind: str, port: int, source: str) -> tuple[float, str]:
    """A new visitor's GET /garden on a fresh connection: ms to the answer, or what failed."""
    started = time.perf_counter()
    conn = _connection(kind, port, source, timeout=30.0)
    try:
        conn.request("GET", "/garden?emotion=HAPPY")
        response = conn.getresponse()
        response.read()
        outcome = str(response.status)
    except TimeoutError:
        outcome = "timeout (30 s)"
    except (OSError, http.client.HTTPException) as exc:
        outcome = type(exc).__name__
    finally:
        conn.close()
    return (time.perf_counter() - started) * 1000, outcome


def slow_head_attack(kind: str = "new") -> list[list[object]]:
    """Rows: SLOW_HEADS slow-head connections from one address, then from ten (each under
    the per-address cap, together over the connection limit), and PROBES new visitors at
    other addresses timed meanwhile."""
    rows: list[list[object]] = []
    for label, sources in (("1 address", ["127.0.3.1"]),
                           ("10 addresses", [f"127.0.3.{i}" for i in range(1, 11)])):
        with tempfile.TemporaryDirectory() as data:
            server = Server(kind, data)
            stop_event = threading.Event()
            socks: list[socket.socket] = []
            try:
                opened = time.perf_counter()
                socks, trickle = _slow_heads(server.port, sources, stop_event)
                probes = []
                for index in range(PROBES):
                    probes.append(_probe(kind, server.port, f"127.0.4.{index + 1}"))
                    time.sleep(1.0)
                held = len(socks)
                stop_event.set()
                trickle.join(HEAD_LINE_EVERY + 5)
                ms = [p[0] for p in probes]
                outcomes = sorted({p[1] for p in probes})
                rows.append([label, SLOW_HEADS, held, f"{(time.perf_counter() - opened):.0f}",
                             f"{percentile(ms, 50):.0f}", f"{max(ms):.0f}", ", ".join(outcomes)])
            finally:
                stop_event.set()
                for sock in socks:
                    sock.close()
                server.stop()
    return rows


def sigterm_under_load(kind: str = "new", clients: int = 50, seconds: float = 3.0) -> list[object]:
    """``emotion-garden serve`` under the visitors' mix; SIGTERM after ``seconds``, when the
    clients stop asking: how many of the requests sent before it were answered, the exit
    status, tracebacks logged, and how long the stop took."""
    with tempfile.TemporaryDirectory() as data, tempfile.TemporaryFile("w+") as log:
        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from garden_cli import main; sys.exit(main())",
             "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data,
             *(["--tls"] if kind == "https" else [])],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
            env={**os.environ, "GARDEN_DEMO": "1", "GARDEN_PUBLIC_URL": "", "GARDEN_ADMIN_KEY": ADMIN_KEY})
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if "Emotion Garden at" in line:
                    break
            conn = _connection(kind, port)
            conn.request("GET", "/garden?emotion=HAPPY")
            garden = json.loads(conn.getresponse().read())
            conn.close()
            keys = [item["key"] for item in garden["landscape"] + garden["portrait"]]
            photo = _photo()
            outcomes: list[tuple[float, bool]] = []
            lock = threading.Lock()
            ended = threading.Event()

            def client(index: int) -> None:
                rng = random.Random(index)
                source = client_address(index)
                conn = _connection(kind, port, source)
                n = 0
                while not ended.is_set():
                    method, path, body, headers = _requests("mix", keys, photo, rng, f"term-{index}-{n}")
                    n += 1
                    sent = time.perf_counter()
                    try:
                        conn.request(method, path, body=body, headers=headers)
                        response = conn.getresponse()
                        response.read()
                        ok = True
                    except (OSError, http.client.HTTPException):
                        ok = False
                        conn.close()
                        conn = _connection(kind, port, source)
                    with lock:
                        outcomes.append((sent, ok))
                conn.close()

            threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
            for thread in threads:
                thread.start()
            time.sleep(seconds)
            term = time.perf_counter()
            proc.send_signal(signal.SIGTERM)
            ended.set()      # each client waits for the answer in flight, and asks no more
            status = proc.wait(60)
            stopped = time.perf_counter() - term
            for thread in threads:
                thread.join(TIMEOUT + 5)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        before = [ok for sent, ok in outcomes if sent < term]
        log.seek(0)
        tracebacks = log.read().count("Traceback")
    return [kind, clients, len(before), sum(before), len(before) - sum(before), status,
            tracebacks, f"{stopped:.1f}"]


def hostile() -> str:
    attack = slow_head_attack()
    terms = [sigterm_under_load(kind) for kind in ("new", "https")]
    return (
        "\n**Slow heads at the connection cap** (waitress): "
        f"{SLOW_HEADS} connections each sending a request line, then a header line every "
        f"{HEAD_LINE_EVERY:.0f} s; {PROBES} new visitors (other addresses, fresh connections) "
        "timed one a second meanwhile. *held*: attack connections still open at the end.\n\n"
        + table(["attack from", "connections", "held", "s", "new visitor p50 ms", "max ms",
                 "answers"], attack)
        + "\n\n**SIGTERM under load** (`emotion-garden serve`, the mix): requests sent before "
        "the signal, answered or dropped; exit status; tracebacks logged; seconds to stop.\n\n"
        + table(["server", "clients", "sent before", "answered", "dropped", "exit", "tracebacks",
                 "stop s"], terms) + "\n")


def run() -> str:
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
    clients = int(os.environ.get("BENCH_LOAD_CLIENTS", "100"))
    soak = float(os.environ.get("BENCH_SOAK_SECONDS", "600"))
    photo = _photo()
    rows = []
    for label, kind in (("waitress (now)", "new"), ("hand-written (before)", "legacy"), ("hypercorn, HTTPS", "https")):
        with tempfile.TemporaryDirectory() as data:
            server = Server(kind, data)
            try:
                keys = _prepare(server)
                conn = server.connect()     # load the face models before measuring
                conn.request("POST", "/emotion", photo, {"Content-Type": "image/jpeg"})
                conn.getresponse().read()
                conn.close()
                for workload in ("garden", "mix"):
                    before = server.rss()
                    result = load(server, workload, clients, seconds, keys, photo)
                    rows.append(_row(label, workload, clients, seconds, result, before, server.rss()))
            finally:
                server.stop()
    soak_text = ""
    if soak > 0:
        with tempfile.TemporaryDirectory() as data:
            server = Server("new", data)
            try:
                keys = _prepare(server)
                start = server.rss()
                minute: list[float] = []
                result = load(server, "mix", clients, soak, keys, photo, on_minute=minute)
                end = server.rss()
            finally:
                server.stop()
        lat = result.latencies or [0.0]
        growth = (end - minute[0]) / minute[0] * 100 if minute and minute[0] else 0.0
        soak_text = (
            f"\n**Soak** ({soak / 60:.0f} min of the mix, {clients} clients, waitress): "
            f"{len(result.latencies)} requests, {result.errors} errors, {result.timeouts} timeouts, "
            f"p50 {percentile(lat, 50):.1f} ms, p99 {percentile(lat, 99):.0f} ms; RSS {start:.0f} MB at the "
            f"start, {minute[0] if minute else 0:.0f} MB after the first minute, {end:.0f} MB at the end "
            f"({growth:+.1f} %; goal within ±10 %).\n")
    hostile_text = hostile() if os.environ.get("BENCH_HOSTILE", "1") != "0" else ""
    return (
        "## Load on the local server\n\n"
        f"{clients} concurrent keep-alive clients (threads in the benchmark's process) for {seconds:.0f} s "
        "per workload over loopback; the server in its own process with the demo garden planted and "
        "the face models loaded. *mix*: 80 % GET /garden, 15 % POST /like, 5 % POST /emotion "
        "(a 640×480 JPEG). An error is any answer but 200 or a broken connection; a timeout is "
        f"no answer in {TIMEOUT:.0f} s. RSS of the server process before → after, MB.\n\n"
        + table(["server", "workload", "clients", "requests", "req/s", "p50 ms", "p99 ms", "max ms",
                 "errors", "timeouts", "RSS MB", "goal p99 ms"], rows) + "\n" + soak_text
        + hostile_text
    )
