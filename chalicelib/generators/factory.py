"""Endpoint URI → Generator: ``painter:``, ``sagemaker:NAME``,
``bedrock:MODEL_ID[?concurrency=N]``, ``http(s)://HOST:PORT/PATH``, ``a1111://HOST:PORT``.
A bad URI is a ConfigError naming it."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .. import config
from ..errors import ConfigError
from . import Generator

# SageMaker's own rule for endpoint names.
_SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_FORMS = ("painter:", "sagemaker:NAME", "bedrock:MODEL_ID[?concurrency=N]",
          "http(s)://HOST:PORT/PATH", "a1111://HOST:PORT")


def _bad(uri: str, why: str) -> ConfigError:
    return ConfigError(f"endpoint URI {uri!r} {why} (use one of {', '.join(_FORMS)})")


def _host_port(uri: str) -> tuple[str, int | None]:
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError as exc:
        raise _bad(uri, f"is malformed ({exc})") from None
    if not parts.hostname:
        raise _bad(uri, "has no host")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise _bad(uri, "may not carry a query, fragment or credentials")
    return parts.hostname, port


def build_generator(uri: str, *, timeout: float | None = None, sagemaker_client: Any = None,
                    bedrock_client: Any = None) -> Generator:
    """The adapter for one endpoint URI. ``timeout`` (seconds) overrides the adapter's default
    (60 s for GPU endpoints and Bedrock); ``sagemaker_client`` and ``bedrock_client`` are ready
    sagemaker-runtime and bedrock-runtime clients (else each adapter builds its own)."""
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigError(f"endpoint URI {uri!r} is empty (use one of {', '.join(_FORMS)})")
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"endpoint {uri!r}: timeout must be positive, not {timeout!r}")
    uri = uri.strip()
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme == "painter":
        if uri[len("painter:"):].strip("/"):
            raise _bad(uri, "takes no arguments")
        from .painter import PainterGenerator  # numpy: local installs only, never in Lambda
        return PainterGenerator(uri=uri, timeout=timeout)
    if scheme == "sagemaker":
        name = uri[len("sagemaker:"):]
        if not _SAGEMAKER_NAME.match(name):
            raise _bad(uri, "does not name a SageMaker endpoint (letters, digits and '-', "
                            "at most 63)")
        from .sagemaker import SageMakerGenerator
        return SageMakerGenerator(name, timeout=timeout, client=sagemaker_client)
    if scheme == "bedrock":
        endpoint = config.parse_bedrock(uri)
        from .bedrock import BedrockGenerator
        return BedrockGenerator(endpoint, uri=uri, timeout=timeout, client=bedrock_client)
    if scheme in ("http", "https"):
        _host_port(uri)
        from .http import HttpGenerator
        return HttpGenerator(uri, timeout=timeout)
    if scheme == "a1111":
        host, port = _host_port(uri)
        if urlsplit(uri).path.strip("/"):
            raise _bad(uri, "takes no path (the adapter calls /sdapi/v1/txt2img)")
        from .a1111 import A1111Generator
        netloc = f"[{host}]" if ":" in host else host
        base = f"http://{netloc}" + (f":{port}" if port is not None else "")
        return A1111Generator(base, uri=uri, timeout=timeout)
    raise _bad(uri, "has an unknown scheme")
