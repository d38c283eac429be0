"""``emotion-garden endpoint``: the procedural painter served over the JumpStart JSON contract
on local ports, with optional latency and fault injection (for multi-endpoint demos and
fault tests)."""
from __future__ import annotations

import argparse
import json
import sys
import threading

from ..generators.endpoint_server import MODES, EndpointServer, serve_endpoint


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``endpoint [--host --port --delay --mode --count]``; runs through ``args.func(args)``."""
    parser = subparsers.add_parser(
        "endpoint", help="serve the procedural painter as local JumpStart-style endpoints",
        description="Serve the embedded painter over the JumpStart JSON contract "
                    "(POST /invocations), with optional latency and fault injection.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081,
                        help="first port (0: any free port); --count N uses N ports from it")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds each image takes at least, like a GPU (default 0)")
    parser.add_argument("--mode", choices=MODES, default="ok", help="fault to inject (default ok)")
    parser.add_argument("--count", type=int, default=1, help="how many endpoints (default 1)")
    parser.set_defaults(func=run_endpoints)


def run_endpoints(args: argparse.Namespace) -> int:
    from ..generators.painter import PainterGenerator
    if not 1 <= args.count <= 64:
        print("--count must be between 1 and 64", file=sys.stderr)
        return 2
    servers: list[EndpointServer] = []
    try:
        for n in range(args.count):
            port = args.port + n if args.port else 0
            servers.append(serve_endpoint(PainterGenerator(), args.host, port, args.delay,
                                          args.mode, verbose=True))
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port + len(servers)}: {exc}", file=sys.stderr)
        for server in servers:
            server.close()
        return 1
    for server in servers:
        print(f"endpoint {server.url}  (mode {server.mode}, delay {server.delay:g} s)")
    print("GARDEN_ENDPOINTS='" + json.dumps([s.url for s in servers]) + "'")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.close()
    return 0
