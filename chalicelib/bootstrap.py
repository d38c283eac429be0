"""The composition root: the only place that decides which adapters to build.

Everything is built lazily, once per configuration, so importing the app has no side effects
and tests can point it elsewhere by changing the environment (or calling ``reset()``).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from . import config

_lock = threading.RLock()
_cache: dict[tuple[str, Any], Any] = {}
_event_sink: list[Callable[[dict], None]] = []


def settings() -> config.Settings:
    return config.load()


def _once(name: str, build: Callable[[config.Settings], Any]) -> Any:
    current = settings()
    with _lock:
        if (name, current) not in _cache:
            _cache[(name, current)] = build(current)
        return _cache[(name, current)]


def reset() -> None:
    """Forget every built adapter (tests; a server changing its data directory)."""
    with _lock:
        _cache.clear()


def set_event_sink(handler: Callable[[dict], None]) -> None:
    """Where the local folder store delivers its S3-shaped events (the app's index handler)."""
    _event_sink[:] = [handler]


def _deliver(event: dict) -> None:
    for handler in _event_sink:
        handler(event)


def _boto(service: str, **kwargs: Any) -> Any:
    import boto3
    return boto3.client(service, **kwargs)


def store():
    def build(s: config.Settings):
        if s.is_aws:
            from .storage.s3 import S3ObjectStore
            return S3ObjectStore(_boto("s3"), s.bucket, s.public_url)
        from .storage.folder import FolderObjectStore
        return FolderObjectStore(s.data_dir / "objects", s.public_url, on_event=_deliver)
    return _once("store", build)


def catalog():
    def build(s: config.Settings):
        if s.is_aws:
            import boto3

            from .catalog.dynamodb import DynamoCatalog
            return DynamoCatalog(boto3.resource("dynamodb").Table(s.table))
        from .catalog.sqlite import SqliteCatalog
        s.data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteCatalog(s.data_dir / "catalog.sqlite3")
    return _once("catalog", build)


def generators() -> list:
    """One generator per configured endpoint, in GARDEN_ENDPOINTS order."""
    def build(s: config.Settings):
        from .generators.factory import build_generator
        client = None
        if any(u.startswith("sagemaker:") for u in s.endpoints):
            from .generators.sagemaker import client_config  # read timeout, no SDK retries:
            client = _boto("sagemaker-runtime", config=client_config(60))  # the workflow retries
        return [build_generator(uri, sagemaker_client=client) for uri in s.endpoints]
    return _once("generators", build)


def analyzer():
    def build(s: config.Settings):
        from .faces import build_analyzer
        client = None
        if s.analyzer == "rekognition":
            from .faces.rekognition import RETRY_CONFIG  # throttling retried with backoff
            client = _boto("rekognition", config=RETRY_CONFIG)
        return build_analyzer(s, rekognition_client=client)
    return _once("analyzer", build)


def workflow():
    def build(s: config.Settings):
        from .workflow import build_engine
        return build_engine(s)
    return _once("workflow", build)
