"""Run every benchmark module (bench/bench_*.py, each with ``run() -> str`` returning a
Markdown section) and write BENCHMARKS.md with the machine they ran on.

Benchmarks are measurements, never tests: nothing here fails CI. Compare figures only within
one run (the machines are shared and noisy)."""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = int(next(l for l in Path("/proc/meminfo").read_text().splitlines()
                       if l.startswith("MemTotal")).split()[1]) // 1024 // 1024
    except (OSError, StopIteration, ValueError):
        mem = 0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    return (f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; commit {commit}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("only", nargs="*", help="topics to run (e.g. garden painter); default all")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    topics = sorted(p.stem[len("bench_"):] for p in Path(__file__).parent.glob("bench_*.py"))
    chosen = [t for t in topics if not args.only or t in args.only]
    sections = []
    for topic in chosen:
        print(f"bench: {topic}…", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            section = importlib.import_module(f"bench.bench_{topic}").run()
        except Exception:  # noqa: BLE001 - a broken benchmark is reported, not fatal
            section = f"## {topic}\n\nThe benchmark failed:\n\n```\n{traceback.format_exc()}```\n"
        sections.append(section.rstrip() + f"\n\n_{topic}: {time.perf_counter() - started:.0f} s to run._\n")
    header = (
        "# Benchmarks\n\n"
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        f"Machine: {machine()}.\n\n"
        "Medians and percentiles of repeated runs; ratios compare figures measured side by side "
        "in this one run. The machine is shared and noisy: treat differences under ~20 % as noise.\n"
    )
    Path(args.out).write_text(header + "\n" + "\n".join(sections))
    print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
