"""The mutation check's last figures, quoted from ``test-artifacts/mutants.json`` (written by
``make mutants``, tools/mutants.py). Nothing is run here: the check takes tens of minutes on
its own, so the section says when and on which commit it was measured."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .stats import table

RECORD = Path(__file__).resolve().parent.parent / "test-artifacts" / "mutants.json"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f} %"


def section(record: dict[str, Any] | None) -> str:
    head = "## Mutation check\n\n"
    if record is None:
        return head + ("No mutation check recorded here: `make mutants` writes "
                       "test-artifacts/mutants.md and .json, which this section quotes.\n")
    rows = [[m["path"], m["mutants"], m["killed"], m["survived"], _percent(m["ratio"])]
            for m in record["modules"]]
    survivors = record.get("survivors", [])
    return (
        head
        + f"Quoted from the last `make mutants` ({record['when']} UTC, {record['copied']}), not run by "
          "this benchmark: one-line mutants sampled per module, each against the tests mapped to "
          "its module; a mutant is killed when they fail or time out.\n\n"
        + table(["module", "mutants", "killed", "survived", "kill ratio"], rows)
        + f"\n\nTotal: {record['killed']} of {record['mutants']} killed ({_percent(record['ratio'])}); "
          f"{len(survivors)} survived, listed in test-artifacts/mutants.md.\n"
    )


def run() -> str:
    try:
        record = json.loads(RECORD.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = None
    return section(record)
