"""The garden the web edge serves: the routes, the task Lambdas and the local site ask
``current()`` for it.

- In Lambda it is built lazily, on the first request or event, from the environment (Chalice's
  test client sets a stage's variables during a call, so the environment is read then), and
  built anew only if the environment's GARDEN_ settings, the working directory or what an edge
  decided (``reconfigure``) change.
- ``serve`` builds its own from its flags and ``install``s it, then adds the admin key it made;
  the local server adds the address it bound as the public URL (``reconfigure``).
- Tests ``install`` a garden with the adapters they hand over, or ``override`` adapters for the
  gardens built lazily; ``forget`` drops both (and stops what a garden started).

This is the edge's one reference to a garden; the composition root itself keeps nothing.
"""
from __future__ import annotations

import os
import threading
from typing import Any

from .. import bootstrap, config

_lock = threading.RLock()


class _Held:
    installed: bootstrap.Garden | None = None
    lazy: tuple[tuple[Any, ...], bootstrap.Garden] | None = None
    changes: dict[str, Any] = {}     # settings an edge decided, over the environment's
    overrides: dict[str, Any] = {}   # adapters handed over


def current() -> bootstrap.Garden:
    """The installed garden, else the one the environment describes (built on first use)."""
    with _lock:
        if _Held.installed is not None:
            return _Held.installed
        key = (os.getcwd(), config.environment_key(), repr(sorted(_Held.changes.items())),
               tuple(id(adapter) for _, adapter in sorted(_Held.overrides.items())))
        if _Held.lazy is None or _Held.lazy[0] != key:
            if _Held.lazy is not None:
                _Held.lazy[1].close()
            settings = config.load().with_overrides(**_Held.changes)
            _Held.lazy = (key, bootstrap.build(settings, **_Held.overrides))
        return _Held.lazy[1]


def install(garden: bootstrap.Garden) -> bootstrap.Garden:
    """Serve ``garden`` from now on (until ``forget``); the one it replaces is closed."""
    with _lock:
        previous = _Held.installed
        _Held.installed = garden
    if previous is not None and previous is not garden:
        previous.close()
    return garden


def reconfigure(**changes: Any) -> bootstrap.Garden:
    """The garden's settings with ``changes`` from now on (the address a server bound as its
    public URL, the admin key it made; ``None`` changes nothing): the installed garden is
    rebuilt with them, a lazily built one takes them over the environment's."""
    with _lock:
        given = {name: value for name, value in changes.items() if value is not None}
        if _Held.installed is not None:
            return install(_Held.installed.with_settings(**given))
        _Held.changes = {**_Held.changes, **given}
        return current()


def override(**adapters: Any) -> None:
    """Adapters every garden built from now on gets (tests: a fake analyzer, a slow GPU)."""
    with _lock:
        _Held.overrides = {**_Held.overrides, **adapters}
        previous = _Held.installed
        if previous is not None:
            _Held.installed = bootstrap.Garden(previous.settings, {**previous.overrides, **adapters})
            previous.close()


def rebuild() -> None:
    """Build the garden anew on next use, with the settings an edge decided and the adapters
    handed over kept (a test that changed the environment or the data directory)."""
    with _lock:
        held = [g for g in (_Held.installed, _Held.lazy[1] if _Held.lazy else None) if g]
        installed = _Held.installed
        _Held.lazy = None
        _Held.installed = (bootstrap.Garden(installed.settings, installed.overrides)
                           if installed is not None else None)
    for garden in held:
        garden.close()


def forget() -> None:
    """Drop the installed and the lazily built garden and every override."""
    with _lock:
        held = [g for g in (_Held.installed, _Held.lazy[1] if _Held.lazy else None) if g]
        _Held.installed, _Held.lazy, _Held.changes, _Held.overrides = None, None, {}, {}
    for garden in held:
        garden.close()
