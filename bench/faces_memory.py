"""Memory per photo: peak RSS growth while 8 worst-case uploads are analysed at once (part of
the faces benchmark, ``python -m bench faces``).

Each kind of upload runs in a fresh child process: the models are loaded and warmed up first,
the kernel's peak-RSS mark is reset (``/proc/self/clear_refs``), then 8 threads call
``analyze_photo`` together and the growth of the peak (VmHWM) over the RSS before is reported
with what each request was answered. Worst cases are the largest pictures the checks let
through for each format: a PNG (which cannot be decoded at a reduced size) and a JPEG,
baseline and progressive, at the pixel cap — each a few MB or less, under the 5 MB body limit.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from .stats import table

GOAL_MIB = 300
CONCURRENT = 8
ROOT = Path(__file__).resolve().parent.parent


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _upload(kind: str) -> tuple[str, bytes, str]:
    """(content type, bytes, size label) of one worst-case upload of ``kind``."""
    import math

    import skimage.data
    from PIL import Image

    from chalicelib.faces import images
    full_cap = getattr(images, "MAX_FULL_DECODE_PIXELS", images.MAX_PIXELS)
    if kind == "png-report":
        width = height = 6320                  # the hostile test's PNG
    elif kind.endswith("-cap"):                # the most a full decode may have
        width = math.isqrt(full_cap * 3 // 2)
        height = full_cap // width
    else:
        width, height = 7740, 5160             # 39.9 MP: just under the 40 MP cap
    frame = Image.new("RGB", (width, height), (96, 110, 120))
    face = Image.fromarray(skimage.data.astronaut()).resize((height // 3, height // 3))
    frame.paste(face, ((width - face.width) // 2, height // 3))
    out = io.BytesIO()
    if kind.startswith("png"):
        frame.save(out, "PNG", optimize=False, compress_level=9)
        media = "image/png"
    else:
        frame.save(out, "JPEG", quality=80, progressive="progressive" in kind)
        media = "image/jpeg"
    return media, out.getvalue(), f"{width}×{height}"


def _child(kind: str, slots: int | None) -> dict:
    from chalicelib.errors import GardenError
    from chalicelib.faces import service
    from chalicelib.faces.local import shared_analyzer
    media, body, size = _upload(kind)
    analyzer = shared_analyzer()
    analyzer.load()
    import bench.bench_faces as faces
    service.analyze_photo(faces._photo((640, 480)), "image/jpeg", analyzer)  # warm
    options: dict[str, Any] = {}
    if slots is not None and hasattr(service, "Gate"):
        import inspect   # as many at once as come: every upload may wait its turn
        waits = {"waiters": CONCURRENT} if "waiters" in inspect.signature(service.Gate).parameters else {}
        options["gate"] = service.Gate(slots, 60.0, **waits)
    Path("/proc/self/clear_refs").write_text("5")      # reset the peak-RSS mark
    before = _kib("VmRSS")
    outcomes: Counter[str] = Counter()
    start = threading.Barrier(CONCURRENT)

    def visit() -> None:
        start.wait()
        try:
            service.analyze_photo(body, media, analyzer, **options)
            outcomes["200"] += 1
        except GardenError as exc:
            outcomes[type(exc).__name__] += 1

    threads = [threading.Thread(target=visit) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"kind": kind, "size": size, "bytes": len(body), "before_mib": before / 1024,
            "peak_growth_mib": (_kib("VmHWM") - before) / 1024, "outcomes": dict(outcomes)}


KINDS = {"png-report": "PNG, the report's", "png-cap": "PNG at the full-decode cap",
         "jpeg-baseline": "JPEG baseline at the cap",
         "jpeg-progressive": "JPEG progressive, 40 MP",
         "jpeg-progressive-cap": "JPEG progressive at the full-decode cap"}


def _spawn(kind: str, slots: int | None) -> dict:
    args = [sys.executable, "-m", "bench.faces_memory", kind] + ([str(slots)] if slots else [])
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child failed:\n{proc.stderr[-4000:]}")
    result: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def section() -> str:
    rows = []
    for kind, label in KINDS.items():
        for slots, setting in ((None, "as served (bounded)"), (CONCURRENT, "no bound (8 slots)")):
            data = _spawn(kind, slots)
            growth = data["peak_growth_mib"]
            rows.append([f"{label}: {data['size']}, {data['bytes'] // 1024} KiB", setting,
                         f"+{growth:.0f} MiB",
                         "yes" if growth <= GOAL_MIB else "**no**",
                         ", ".join(f"{n}× {k}" for k, n in sorted(data["outcomes"].items()))])
    return "\n".join([
        f"### Memory: {CONCURRENT} worst-case uploads at once",
        "",
        table(["upload", "analyses at once", "peak RSS growth",
               f"≤ {GOAL_MIB} MiB", "answers"], rows),
        "",
        (f"Each row: a fresh process, models loaded and warmed, the peak-RSS mark reset, then "
        f"{CONCURRENT} threads call `analyze_photo` together with the same upload; growth of "
        "VmHWM over the RSS before. \"As served\" is the gate the server uses (a few analyses "
        "at once, in worker threads of its own; the rest wait, then 503); \"no bound\" gives "
        "it 8 slots, to show what the bound saves. PayloadTooLarge (413) = refused from the "
        "header, over a pixel cap, at no cost. NotFound (404, no face) means the analysis ran "
        "in full: the astronaut fills a third of the frame's height, too small for the "
        "landmarker once the frame is reduced to 960 px."),
    ])


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)))
