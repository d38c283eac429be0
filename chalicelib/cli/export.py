"""`emotion-garden export-interactions DIR [--since WHEN]`: the garden's impressions and likes
as CSV files in Amazon Personalize's dataset schemas, for operators who want to train
Personalize or study the exhibition.

Written to DIR:

- ``interactions.csv``: USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE, GENERATION, FAVORITE, GENDER —
  one row per counted event (EVENT_TYPE ``view`` for an impression, ``like`` for a like).
- ``items.csv``: ITEM_ID, EMOTION, FAVORITE, ORIENTATION, CREATION_TIMESTAMP — every garden image.
- ``interactions-schema.json``, ``items-schema.json``: the Avro schemas to create the datasets.

The garden keeps no visitor's history, only counts per (image, segment), so USER_ID is not a
person: it is the anonymous id of the segment the events came from (``segment:g=adult``, or
``segment:any`` for visits that told nothing beyond their emotion), and TIMESTAMP is when that
counter last changed (epoch seconds). ``--since`` keeps the counters changed at or after a time.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..bootstrap import Garden
from ..catalog import CounterRow, Engagement, ImageIndex
from ..errors import InvalidRequest
from ..rules.bandit import ALL, Counts
from ..rules.layout import GARDEN
from . import target

INTERACTION_FIELDS = ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "GENERATION", "FAVORITE",
                      "GENDER")
ITEM_FIELDS = ("ITEM_ID", "EMOTION", "FAVORITE", "ORIENTATION", "CREATION_TIMESTAMP")
ANY = "segment:any"
_TAGS = {"g": "GENERATION", "f": "FAVORITE", "s": "GENDER"}


def _avro(name: str, fields: Iterable[str], categorical: Iterable[str]) -> dict[str, object]:
    types = {"TIMESTAMP": "long", "CREATION_TIMESTAMP": "long"}
    out: list[dict[str, object]] = []
    for field in fields:
        if field in categorical:
            out.append({"name": field, "type": ["null", "string"], "categorical": True})
        else:
            out.append({"name": field, "type": types.get(field, "string")})
    return {"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema",
            "fields": out, "version": "1.0"}


def parse_since(text: str | None) -> int:
    """Epoch milliseconds of an ISO 8601 date or time (UTC unless it says otherwise)."""
    if not text:
        return 0
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"--since must be an ISO 8601 date or time such as 2026-05-01 "
                             f"or 2026-05-01T12:00:00Z, not {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _context(segment: str) -> dict[str, str]:
    fields = dict.fromkeys(_TAGS.values(), "")
    for part in segment.split("|"):
        tag, _, value = part.partition("=")
        if tag in _TAGS:
            fields[_TAGS[tag]] = value
    return fields


def interaction_rows(rows: Iterable[CounterRow]) -> Iterator[dict[str, object]]:
    """One row per event. Every event counts in ALL and in at most one other segment, so the
    events of visits without a segment are ALL's counts less the other segments' together."""
    per_image: dict[str, list[CounterRow]] = defaultdict(list)
    for row in rows:
        per_image[row.key].append(row)
    for key in sorted(per_image):
        image_rows = per_image[key]
        everyone = next((r for r in image_rows if r.segment == ALL), None)
        segmented = [r for r in image_rows if r.segment != ALL]
        events = [(f"segment:{r.segment}", r.counts, r.updated_ms, _context(r.segment))
                  for r in segmented]
        if everyone is not None:
            rest = everyone.counts - sum((r.counts for r in segmented), Counts())
            events.append((ANY, rest, everyone.updated_ms, _context("")))
        for user, counts, updated_ms, context in events:
            for event_type, n in (("view", counts.seen), ("like", counts.likes)):
                for _ in range(n):
                    yield {"USER_ID": user, "ITEM_ID": key, "TIMESTAMP": updated_ms // 1000,
                           "EVENT_TYPE": event_type, **context}


def export(index: ImageIndex, engagement: Engagement, directory: Path,
           since_ms: int = 0) -> dict[str, int]:
    """Write the files; the number of interaction and item rows."""
    directory.mkdir(parents=True, exist_ok=True)
    counts = {"interactions": 0, "items": 0}
    with (directory / "interactions.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, INTERACTION_FIELDS)
        writer.writeheader()
        for row in interaction_rows(engagement.iter_counters(since_ms)):
            writer.writerow(row)
            counts["interactions"] += 1
    with (directory / "items.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, ITEM_FIELDS)
        writer.writeheader()
        for record in index.iter_images(f"{GARDEN}/"):
            writer.writerow({"ITEM_ID": record.key, "EMOTION": record.emotion,
                             "FAVORITE": record.favorite or "", "ORIENTATION": record.orientation,
                             "CREATION_TIMESTAMP": record.created_ms // 1000})
            counts["items"] += 1
    schemas = {"interactions-schema.json": _avro("Interactions", INTERACTION_FIELDS,
                                                 ("GENERATION", "FAVORITE", "GENDER")),
               "items-schema.json": _avro("Items", ITEM_FIELDS,
                                          ("EMOTION", "FAVORITE", "ORIENTATION"))}
    for name, schema in schemas.items():
        (directory / name).write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    return counts


def _export(args: argparse.Namespace, garden: Garden) -> int:
    written = export(garden.image_index, garden.engagement, args.directory, parse_since(args.since))
    print(f"export {args.directory}: {written['interactions']} interactions, "
          f"{written['items']} items (Amazon Personalize's schemas; USER_ID is a segment, "
          f"not a person)", file=sys.stdout)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``export-interactions DIR [--since WHEN]``."""
    command = subparsers.add_parser(
        "export-interactions",
        help="write impressions and likes as Amazon Personalize CSVs to DIR")
    command.add_argument("directory", type=Path, help="where the CSV and schema files go")
    command.add_argument("--since", help="only counters changed at or after this ISO 8601 time")
    target.add_options(command)
    command.set_defaults(func=target.guarded(_export))
