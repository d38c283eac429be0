"""Keep the offline face models' runtimes quiet: no telemetry, no network, no files.

What each runtime would do on its own, and what stops it (checked by
``tests/hardening/test_offline.py``, which serves photos in a network namespace with no
interfaces and a fresh HOME and TMPDIR, and finds nothing written outside the data
directory):

- ONNX Runtime (age and gender) starts a telemetry system when it is imported: it writes
  ``~/.cache/Microsoft/DeveloperTools/.onnxruntime/{deviceid,onnxruntime.db}`` (a queue of
  events: OS, CPU, memory, model names), ``$TMPDIR/.ses`` and ``$TMPDIR/mat-debug-<pid>.log``,
  and later looks up Microsoft's collector host. Its only off switch is the environment
  variable ``ORT_DISABLE_TELEMETRY``, read once, at import — so it is set here, before the
  import, and ``disable_telemetry_events()`` is called after it as well.
- MediaPipe's ``tasks.python.vision`` package imports its drawing helpers, which import
  ``matplotlib.pyplot``; importing matplotlib creates ``~/.config/matplotlib`` and builds a
  font cache in ``~/.cache/matplotlib``. The analyzer draws nothing, so while MediaPipe is
  imported, matplotlib is replaced by a placeholder that refuses to be used (and is taken
  away again afterwards, so a later ``import matplotlib`` elsewhere gets the real one).
- LiteRT (emotion) and dlib (face chips) write nothing and call no one: checked, nothing to do.
"""
from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TELEMETRY_SWITCHES = {"ORT_DISABLE_TELEMETRY": "1"}
PLOTTING = ("matplotlib", "matplotlib.pyplot")


def before_import() -> None:
    """Turn every runtime's telemetry off. Call before the runtimes are first imported."""
    # The one place outside config.py that writes the environment: ONNX Runtime reads its
    # switch nowhere else, and only while it is being imported.
    os.environ.update(TELEMETRY_SWITCHES)


def after_import(onnxruntime: Any) -> None:
    """Belt and braces once ONNX Runtime is loaded (it may have been imported earlier by
    someone who did not call ``before_import``): no telemetry events from here on."""
    disable = getattr(onnxruntime, "disable_telemetry_events", None)
    if disable is not None:
        disable()


class _Placeholder(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError("matplotlib was kept out of the face analyzer's runtimes "
                           "(chalicelib.faces.quiet): nothing here draws")


@contextmanager
def without_plotting() -> Iterator[None]:
    """Import MediaPipe inside this block: its drawing helpers get a placeholder instead of
    matplotlib, which would write a configuration folder and a font cache into HOME."""
    if PLOTTING[0] in sys.modules:  # already loaded by someone else: nothing left to save
        yield
        return
    placeholders = {name: _Placeholder(name) for name in PLOTTING}
    placeholders[PLOTTING[0]].pyplot = placeholders[PLOTTING[1]]  # type: ignore[attr-defined]
    sys.modules.update(placeholders)
    try:
        yield
    finally:
        for name, module in placeholders.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
