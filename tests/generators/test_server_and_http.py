"""The HTTP adapter against real fake endpoints on 127.0.0.1, one per fault."""
from __future__ import annotations

import json
import socket
import threading
import urllib.request

import pytest

from chalicelib.errors import BadImage, EndpointFailed, EndpointThrottled, EndpointTimeout
from chalicelib.generators import GenerationRequest
from chalicelib.generators.checks import ensure_jpeg
from chalicelib.generators.endpoint_server import MODES, serve_endpoint
from chalicelib.generators.http import HttpGenerator
from chalicelib.generators.painter import PainterGenerator


def test_the_painter_served_over_http_answers_the_jpeg_asked_for(request_768):
    with serve_endpoint(PainterGenerator()) as server:
        data = HttpGenerator(server.url, timeout=10).generate(request_768)
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/invocations")
        assert server.images == 1
    assert ensure_jpeg(data, 768, 512, source="t") == data
    # the same picture as the painter makes in-process: the contract carries prompt and seed
    assert data == PainterGenerator().generate(request_768)


@pytest.mark.parametrize("mode,error", [
    ("throttle", EndpointThrottled), ("fail", EndpointFailed), ("garbage", BadImage),
    ("wrong-size", BadImage),
])
def test_each_fault_becomes_its_domain_error(solid, request_768, mode, error):
    with serve_endpoint(solid, mode=mode) as server, pytest.raises(error) as caught:
        HttpGenerator(server.url, timeout=5).generate(request_768)
    assert server.url in str(caught.value)           # the message names the endpoint


def test_a_hung_endpoint_times_out(solid, request_768):
    with serve_endpoint(solid, mode="hang") as server, pytest.raises(EndpointTimeout, match="0.3"):
        HttpGenerator(server.url, timeout=0.3).generate(request_768)


def test_a_dead_endpoint_fails(request_768):
    with socket.socket() as sock:              # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(EndpointFailed, match="unreachable"):
        HttpGenerator(f"http://127.0.0.1:{port}/invocations", timeout=2).generate(request_768)


def test_a_transient_fault_passes_after_its_count(solid, request_768):
    with serve_endpoint(solid, mode="throttle", faults=2) as server:
        generator = HttpGenerator(server.url, timeout=5)
        for _ in range(2):
            with pytest.raises(EndpointThrottled):
                generator.generate(request_768)
        assert ensure_jpeg(generator.generate(request_768), 768, 512, source="t")
        assert server.requests == 3 and server.images == 1


def test_one_image_at_a_time_like_a_gpu(solid):
    request = GenerationRequest("calm", 64, 64)
    with serve_endpoint(solid, delay=0.05) as server:
        generator = HttpGenerator(server.url, timeout=10)
        threads = [threading.Thread(target=generator.generate, args=(request,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert solid.calls == 4 and solid.most_at_once == 1


def test_the_mode_can_change_while_it_runs(solid, request_768):
    with serve_endpoint(solid) as server:
        generator = HttpGenerator(server.url, timeout=5)
        generator.generate(request_768)
        server.mode = "fail"
        with pytest.raises(EndpointFailed):
            generator.generate(request_768)


def test_ping_bad_paths_and_bad_bodies(solid):
    with serve_endpoint(solid) as server:
        with urllib.request.urlopen(server.base_url + "/ping", timeout=5) as answer:
            assert answer.status == 200
        for path, body, status in (("/nope", b"{}", 404), ("/invocations", b"not json", 400),
                                   ("/invocations", json.dumps({"prompt": ""}).encode(), 400),
                                   ("/invocations", json.dumps({"prompt": "x", "width": 63}).encode(), 400)):
            req = urllib.request.Request(server.base_url + path, data=body, method="POST")
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(req, timeout=5)
            assert caught.value.code == status, (path, body)


def test_the_painter_refuses_sizes_it_cannot_paint_with_400(request_768):
    with serve_endpoint(PainterGenerator()) as server, pytest.raises(EndpointFailed, match="HTTP 400"):
        HttpGenerator(server.url, timeout=5).generate(GenerationRequest("x", 2048, 64))


def test_unknown_modes_are_refused(solid):
    assert set(MODES) == {"ok", "fail", "throttle", "garbage", "wrong-size", "hang"}
    with pytest.raises(ValueError):
        serve_endpoint(solid, mode="explode")


def test_the_cli_subcommand_is_registered():
    import argparse

    from chalicelib.cli.endpoint import register, run_endpoints
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["endpoint", "--port", "0", "--delay", "1.5", "--mode", "throttle", "--count", "2"])
    assert (args.port, args.delay, args.mode, args.count, args.func) == (0, 1.5, "throttle", 2, run_endpoints)
