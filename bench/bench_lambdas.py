"""Each Lambda's cold import: the modules its handler's import loads and how long that takes,
as a ratio to importing boto3 in the same fresh process (absolute times vary by machine; the
runtime imports boto3 for every function anyway). The goal (issue 24): the app's own import
at most 0.4 × boto3's for every function, the task Lambdas lower.

Run alone: ``.venv/bin/python -m bench.bench_lambdas`` (prints the section)."""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from .stats import table

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
GOAL = 0.4
# What a deployed stage's environment looks like (make deploy writes it; nothing is called).
LAMBDA_ENV = {"GARDEN_BACKEND": "aws", "GARDEN_BUCKET": "b", "GARDEN_TABLE": "t",
              "GARDEN_CDN_DOMAIN": "d.net", "GARDEN_ENDPOINTS": '["sagemaker:sd-1"]',
              "GARDEN_TEXT2IMAGE_MACHINE": "arn:t", "GARDEN_BULK_MACHINE": "arn:b",
              "GARDEN_STAGE": "dev", "AWS_DEFAULT_REGION": "us-east-1",
              "AWS_LAMBDA_FUNCTION_NAME": "emotion-garden-dev-bench", "PATH": "/usr/bin:/bin"}
# The app's own modules that no task Lambda should load (page-only, or another function's).
NOT_IN_TASKS = ("chalicelib.web.share_page", "chalicelib.share", "chalicelib.zones", "segno",
                "chalicelib.web.routes.garden", "chalicelib.web.routes.share",
                "chalicelib.web.routes.zones", "chalicelib.web.routes.emotion")

PROGRAM = r"""
import importlib, json, sys, time


def peak_mb():
    # VmHWM: this process's own peak (getrusage's ru_maxrss survives exec: it would report the
    # benchmark runner's peak)
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


started = time.perf_counter()
import boto3
boto = time.perf_counter() - started
before = set(sys.modules)
module, _, name = sys.argv[1].rpartition(".")
started = time.perf_counter()
getattr(importlib.import_module(module), name)
own = time.perf_counter() - started
print(json.dumps({"boto3": boto, "own": own, "modules": sorted(set(sys.modules) - before),
                  "rss_mb": peak_mb()}))
"""


def handlers() -> dict[str, str]:
    """Function name → Chalice's handler string ("module.attribute"), as deployed."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    names = list(config["stages"]["dev"]["lambda_functions"])
    program = ("import json, app; print(json.dumps({f.name: f.handler_string for f in "
               "[*app.app.pure_lambda_functions, *app.app.event_sources]}))")
    found = json.loads(subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=LAMBDA_ENV,
                                      capture_output=True, text=True, check=True).stdout)
    return {name: found.get(name, "app.app") for name in names}


def measure(handler: str, runs: int = RUNS) -> dict[str, object]:
    samples = [json.loads(subprocess.run([sys.executable, "-c", PROGRAM, handler], cwd=ROOT,
                                         env=LAMBDA_ENV, capture_output=True, text=True,
                                         check=True).stdout) for _ in range(runs)]
    ratios = [s["own"] / s["boto3"] for s in samples]
    return {"handler": handler, "ratio": statistics.median(ratios),
            "own_ms": statistics.median(s["own"] for s in samples) * 1000,
            "boto3_ms": statistics.median(s["boto3"] for s in samples) * 1000,
            "modules": samples[0]["modules"],
            "rss_mb": statistics.median(s["rss_mb"] for s in samples)}


def run() -> str:
    rows = []
    for name, handler in handlers().items():
        m = measure(handler)
        modules = m["modules"]
        assert isinstance(modules, list)
        own = [x for x in modules if x.startswith(("chalicelib", "app"))]
        stray = [x for x in modules if name != "api_handler" and x.startswith(NOT_IN_TASKS)]
        rows.append([name, f"`{handler}`", len(modules), len(own), f"{m['own_ms']:.0f}",
                     f"{m['boto3_ms']:.0f}", f"{m['ratio']:.2f}",
                     "yes" if float(str(m["ratio"])) <= GOAL else "**no**",
                     f"{m['rss_mb']:.0f}", ", ".join(stray) or "—"])
    return (
        "## Lambda cold imports\n\n"
        f"Each function's handler imported in a fresh process after `import boto3`, as in Lambda "
        f"(the stage's environment, `AWS_LAMBDA_FUNCTION_NAME` set, so Powertools' Logger is "
        f"made); medians of {RUNS} processes. *ratio* is the handler's own import over boto3's in "
        f"the same process; the goal is ≤ {GOAL}. *RSS* is the process's peak after the import "
        "(boto3 included), the floor under each function's memory size.\n\n"
        + table(["function", "handler", "modules", "app's own", "own ms", "boto3 ms", "ratio",
                 f"≤ {GOAL}", "RSS MB", "page-only modules loaded"], rows) + "\n")


if __name__ == "__main__":
    print(run())
