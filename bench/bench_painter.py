"""Painter speed: milliseconds per image (painting and JPEG encoding) at the default size and
at the kiosk's 1280×800, against the goal of 100 ms at 1280×800 (issue 4)."""
from __future__ import annotations

import os
import statistics
import time

from chalicelib.generators import GenerationRequest
from chalicelib.generators.painter import PainterGenerator

PROMPTS = (
    "A flower, fantasy, happy, young, smile, concept art",
    "A flower, fantasy, unhappy, young, smile, concept art",
    "angry red flowers", "confused garden", "disgusted", "surprised", "calm lotus",
    "fear at night", "A flower with cat, fantasy, very happy, immature, smile", "red rose, love",
    "A flower, lotus, pond, calm", "A flower with dog, spring, cloudy, day",
    "A flower, autumn, evening, sad", "A flower, rose, winter, morning",
)
SIZES = ((768, 512), (1280, 800))
GOAL_MS = {(1280, 800): 100.0}
ROUNDS = 4


def _measure(width: int, height: int) -> tuple[list[float], list[float]]:
    painter = PainterGenerator()
    painter.generate(GenerationRequest(PROMPTS[0], width, height, seed=0))   # warm-up
    wall, cpu = [], []
    for round_ in range(ROUNDS):
        for prompt in PROMPTS:
            request = GenerationRequest(prompt, width, height, seed=round_)
            w0, c0 = time.perf_counter(), time.process_time()
            painter.generate(request)
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def run() -> str:
    rows = []
    for width, height in SIZES:
        wall, cpu = _measure(width, height)
        median = statistics.median(wall)
        goal = GOAL_MS.get((width, height))
        verdict = f"{median / goal:.2f}× goal ({goal:.0f} ms) — {'met' if median <= goal else 'MISSED'}" if goal else "—"
        rows.append(f"| {width}×{height} | {median:.1f} | {_p95(wall):.1f} | {statistics.median(cpu):.1f} "
                    f"| {len(wall)} | {verdict} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "\n".join([
        "## Painter (embedded procedural endpoint)",
        "",
        "| size | median ms | p95 ms | median CPU ms | images | vs goal |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        (f"Measured: `PainterGenerator.generate` (paint + JPEG q88) in-process, {len(PROMPTS)} prompts "
         f"covering all eight emotions and the motifs × {ROUNDS} seeds per size, one warm-up image "
         f"first; wall time and process CPU time (CPU time is what the painter costs when other work "
         f"shares the cores; load average {load:.1f} when measured, on {os.cpu_count()} cores)."),
    ])


if __name__ == "__main__":
    print(run())
