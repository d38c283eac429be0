"""End to end through the local server over HTTP: POST /emotion and GET /garden."""
from __future__ import annotations

import http.client
import io
import tempfile
import threading
import time

from .environment import local_garden
from .stats import summary, table, timed


def _photo(size: tuple[int, int]) -> bytes:
    import skimage.data
    from PIL import Image
    out = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).resize(size).save(out, "JPEG", quality=90)
    return out.getvalue()


def run() -> str:
    from app import app
    from chalicelib import demo
    from chalicelib.web import context
    from chalicelib.web.local_server import make_server
    with tempfile.TemporaryDirectory() as tmp, local_garden(tmp):
        server = make_server(app, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        demo.plant(context.current().store)
        host, port = server.server_address[:2]
        conn = http.client.HTTPConnection(host, port, timeout=30)

        def call(method, path, body=None, headers=None):
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)

        rows = []
        started = time.perf_counter()
        call("POST", "/emotion", _photo((640, 480)), {"Content-Type": "image/jpeg"})
        first = (time.perf_counter() - started) * 1000
        for label, size, goal in (("640×480", (640, 480), "≤ 60 ms"), ("1920×1080", (1920, 1080), "—")):
            body = _photo(size)
            p50, p95, _ = summary(timed(lambda: call("POST", "/emotion", body, {"Content-Type": "image/jpeg"}), 40))
            rows.append([f"POST /emotion {label} JPEG", f"{p50:.1f}", f"{p95:.1f}", goal])
        p50, p95, _ = summary(timed(lambda: call("GET", "/garden?emotion=HAPPY"), 200))
        rows.append(["GET /garden (demo garden)", f"{p50:.1f}", f"{p95:.1f}", "—"])
        conn.close()
        server.shutdown()
        server.server_close()
    return (
        "## End to end on the local server\n\n"
        "Keep-alive HTTP on 127.0.0.1 through the local server (waitress) and Chalice's local gateway; "
        "the local face analyzer (offline models) with the models already loaded. "
        f"The first request, which loads the models, took {first:.0f} ms.\n\n"
        + table(["request", "p50 ms", "p95 ms", "goal p50"], rows) + "\n"
    )
