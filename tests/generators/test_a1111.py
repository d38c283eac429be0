"""The AUTOMATIC1111 adapter against a tiny fake of its txt2img API on 127.0.0.1."""
from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from chalicelib.errors import BadImage, EndpointFailed, EndpointThrottled
from chalicelib.generators import GenerationRequest
from chalicelib.generators.checks import ensure_jpeg
from chalicelib.bootstrap import build_generator


class FakeA1111:
    """Answers POST /sdapi/v1/txt2img with base64 PNGs, or a fault."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        self.answer: Any = None               # None: a PNG of the asked size
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.bodies.append({"path": self.path, **body})
                if fake.answer is None:
                    buffer = io.BytesIO()
                    Image.new("RGBA", (body["width"], body["height"]), (30, 90, 200, 255)).save(buffer, "PNG")
                    answer = {"images": [base64.b64encode(buffer.getvalue()).decode()], "info": "{}"}
                else:
                    answer = fake.answer
                data = json.dumps(answer).encode()
                self.send_response(fake.status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"a1111://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def a1111():
    fake = FakeA1111()
    yield fake
    fake.close()


def test_png_answers_become_jpegs_of_the_requested_size(a1111):
    generator = build_generator(a1111.uri, timeout=5)
    data = generator.generate(GenerationRequest("calm lotus", 512, 384, negative_prompt="blurry",  # type: ignore[union-attr]
                                                steps=20, guidance_scale=6.0, seed=42))
    assert ensure_jpeg(data, 512, 384, source="t") == data
    body = a1111.bodies[0]
    assert body["path"] == "/sdapi/v1/txt2img"
    assert {k: body[k] for k in ("prompt", "negative_prompt", "width", "height", "steps", "cfg_scale", "seed")} == {
        "prompt": "calm lotus", "negative_prompt": "blurry", "width": 512, "height": 384,
        "steps": 20, "cfg_scale": 6.0, "seed": 42}


def test_no_seed_asks_a1111_to_pick_one(a1111):
    build_generator(a1111.uri, timeout=5).generate(GenerationRequest("x", 64, 64))  # type: ignore[union-attr]
    assert a1111.bodies[0]["seed"] == -1


@pytest.mark.parametrize("status,answer,error", [
    (200, {"images": []}, BadImage),
    (200, {"images": ["bm90IGFuIGltYWdl"]}, BadImage),       # base64 of "not an image"
    (200, ["a list"], BadImage),
    (500, {"error": "CUDA out of memory"}, EndpointFailed),
    (503, {"error": "busy"}, EndpointThrottled),
    (429, {"error": "busy"}, EndpointThrottled),
])
def test_faults_become_domain_errors(a1111, status, answer, error):
    a1111.status, a1111.answer = status, answer
    with pytest.raises(error):
        build_generator(a1111.uri, timeout=5).generate(GenerationRequest("x", 64, 64))  # type: ignore[union-attr]


def test_an_image_of_another_size_is_a_bad_image(a1111):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buffer, "PNG")
    a1111.answer = {"images": [base64.b64encode(buffer.getvalue()).decode()]}
    with pytest.raises(BadImage, match="32x32"):
        build_generator(a1111.uri, timeout=5).generate(GenerationRequest("x", 64, 64))  # type: ignore[union-attr]


def test_the_error_message_carries_what_a1111_said(a1111):
    a1111.status, a1111.answer = 500, {"error": "CUDA out of memory"}
    with pytest.raises(EndpointFailed, match="CUDA out of memory"):
        build_generator(a1111.uri, timeout=5).generate(GenerationRequest("x", 64, 64))  # type: ignore[union-attr]
