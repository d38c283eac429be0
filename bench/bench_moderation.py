"""Moderation: what the block list adds to each prompt (the issue's budget: at most 1 ms),
on the prompts the garden sees — short English and Korean, a bulk recipe's, a long one,
a zero-width-laden one — and on a 10,000-character prompt (the edge caps prompts far below:
a worst case, not a budget). The managed checks are priced per call, not timed here: their
latency is the service's (see chalicelib/moderation/guardrails.py and rekognition.py)."""
from __future__ import annotations

import functools
import time

from chalicelib.moderation.blocklist import BlockListCheck
from chalicelib.rules import blocklist

from .stats import summary, table, timed

BUDGET_MS = 1.0
REPEAT = 2000
ZW = "\u200b"

PROMPTS = [
    ("short English", "a field of red tulips at dawn, oil painting"),
    ("short Korean", "새벽녘 붉은 튤립 들판, 유화"),
    ("bulk recipe (~300 chars, mixed)",
     "a beautiful garden of flowers, rose, with cat, joyful, bright, sunny, warm colors, "
     "highly detailed, 8k, trending on artstation, 벚꽃, 봄날의 정원, soft light, bokeh, "
     "masterpiece, intricate petals, morning dew, pastel palette, studio ghibli style, "
     "wide angle, golden hour, cinematic lighting, dreamy atmosphere"),
    ("refused, with tricks", "a ｎ.u.d.e figure among roses, ㅅㅔㄱㅅㅡ"),
    ("zero-width-laden (~200 chars)", ZW.join("a quiet pond with water lilies and koi ") * 2),
    ("1,000 characters", ("spring garden with tulips, 튤립 정원, " * 40)[:1000]),
]
LONG = ("spring garden with tulips, 튤립 정원, " * 400)[:10_000]


def run() -> str:
    started = time.perf_counter()
    check = BlockListCheck(blocklist.shipped())
    load_ms = (time.perf_counter() - started) * 1000
    rows = []
    for name, prompt in PROMPTS:
        med, p95, p99 = summary(timed(functools.partial(check.check_prompt, prompt), REPEAT))
        rows.append([name, len(prompt), f"{med:.3f}", f"{p95:.3f}", f"{p99:.3f}",
                     "yes" if p99 <= BUDGET_MS else "**no**"])
    med, p95, p99 = summary(timed(lambda: check.check_prompt(LONG), 50))
    rows.append(["10,000 characters (worst case)", len(LONG), f"{med:.3f}", f"{p95:.3f}",
                 f"{p99:.3f}", "(not a budget)"])
    return (
        "## Moderation: the block list per prompt\n\n"
        f"The block list's check per prompt (`BlockListCheck.check_prompt`, "
        f"{len(check.entries)} shipped entries; built and read in {load_ms:.1f} ms), "
        f"milliseconds over {REPEAT} calls. Budget: {BUDGET_MS} ms per prompt.\n\n"
        + table(["prompt", "chars", "median ms", "p95 ms", "p99 ms", "within 1 ms"], rows)
        + "\n\nPer call, the managed checks (list prices, US East, at the time of writing): "
        "Bedrock Guardrails content filters $0.15 per 1,000 text units of up to 1,000 "
        "characters — $0.00015 per prompt; Rekognition DetectModerationLabels $0.001 per "
        "image (first million a month).\n"
    )


if __name__ == "__main__":
    print(run())
