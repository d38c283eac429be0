"""Backup and restore of the garden and the pool: images, their provenance, and likes.

A backup folder mirrors the store's keys (``DIR/emotions/HAPPY/…h.jpeg``, ``DIR/pool/…``), so
it can also be copied back with ``aws s3 cp DIR s3://BUCKET/ --recursive`` as the original
system did. Beside the images: ``catalog.jsonl`` (one line per catalogued image: what the
catalog held, likes and visitors included), ``zones.json`` (the display zones'
configurations, when a zone store is given) and ``emotion-garden-backup.json`` (a manifest
naming both).

Restore writes the images back through the object store — the object events re-index them,
provenance read from the images themselves — then merges the likes into the catalog. It is
safe to run again: images already in the store byte for byte are not written again, and
likes merge (visitors unioned, counts never lowered). The backup's zones replace the zones
of the same numbers (others are left alone); a chosen zone keeps keys of images that are
not in the garden after the restore — its screens leave them out until they come back. A
backup made before zones existed has no ``zones.json`` and restores as before. Files that
are not garden or pool images are skipped and reported. The original system's backups restore too: its pool
folder ``imgPool/`` lands in our ``pool/``, and its garden keys (``emotions/happy/
spring,cloudy,day/img_…h.jpeg``: lower-case emotion, a favorite with commas) keep their
spelling and are indexed with their favorite.

Works the same on the local stack and on a deployed stage: it only uses the ports.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .catalog import Engagement, ImageIndex, ImageRecord, LikeExport, ZoneStore
from .errors import GardenError, InvalidKey, InvalidRequest
from .rules import zones as zone_rules
from .rules.layout import GARDEN, POOL, check_safe, from_original, parse_key
from .storage import ObjectStore

AREAS = (GARDEN, POOL)
PREFIXES = tuple(f"{area}/" for area in AREAS)
MANIFEST = "emotion-garden-backup.json"
CATALOG = "catalog.jsonl"
ZONES = "zones.json"
MAX_ZONES_BYTES = 64 * 1024 * 1024
FORMAT, VERSION = "emotion-garden-backup", 1
JPEG_SOI = b"\xff\xd8"

# progress(done, total, what): called after each object; total is known before the first
Progress = Callable[[int, int, str], None]


def _quiet(done: int, total: int, what: str) -> None:
    pass


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _inside(directory: Path, key: str) -> Path:
    """The backup file for a key; never outside the backup folder."""
    check_safe(key)
    path = (directory / key).resolve()
    if not path.is_relative_to(directory) or path == directory:
        raise InvalidKey(f"{key!r} would leave the backup folder")
    return path


def record_line(record: ImageRecord, visitors: list[str]) -> dict[str, Any]:
    return {"key": record.key, "area": record.area, "emotion": record.emotion,
            "favorite": record.favorite, "orientation": record.orientation,
            "createdMs": record.created_ms, "size": record.size, "provenance": record.provenance,
            "likes": record.likes, "visitors": sorted(visitors)}


# --- backup -----------------------------------------------------------------------------------
@dataclass
class BackupReport:
    directory: Path
    objects: int = 0
    bytes: int = 0
    images: int = 0          # catalog lines written
    liked: int = 0           # images with likes
    zones: int = 0           # display zones' configurations written
    failed: list[tuple[str, str]] = field(default_factory=list)


def backup(store: ObjectStore, index: ImageIndex, likes: Engagement, directory: Path,
           progress: Progress = _quiet, zones: ZoneStore | None = None) -> BackupReport:
    """Copy every garden and pool object into ``directory`` and export the catalog's view
    (and the display zones' configurations, when ``zones`` is given)."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    report = BackupReport(directory)
    listing = [obj for prefix in PREFIXES for obj in store.list(prefix)]
    for done, obj in enumerate(listing, 1):
        try:
            data = store.get(obj.key)
            _write_atomic(_inside(directory, obj.key), data)
        except (GardenError, OSError) as exc:
            # one unreadable object must not sink the backup; the report names it
            report.failed.append((obj.key, str(exc) or type(exc).__name__))
        else:
            report.objects += 1
            report.bytes += len(data)
        progress(done, len(listing), obj.key)
    exported = {entry.key: entry for entry in likes.export_likes()}
    lines = []
    for prefix in PREFIXES:
        for record in index.iter_images(prefix):
            liked = exported.get(record.key)
            lines.append(record_line(record, liked.visitors if liked else []))
            report.liked += 1 if record.likes else 0
    lines.sort(key=lambda line: line["key"])
    _write_atomic(directory / CATALOG, "".join(
        json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines).encode("utf-8"))
    report.images = len(lines)
    manifest = {"format": FORMAT, "version": VERSION, "createdAt": _now(), "objects": report.objects,
                "bytes": report.bytes, "images": report.images, "liked": report.liked,
                "catalog": CATALOG, "areas": list(AREAS)}
    if zones is not None:
        configured = zones.list_zones()
        _write_atomic(directory / ZONES, (json.dumps({"zones": configured}, ensure_ascii=False,
                                                     indent=2, sort_keys=True) + "\n").encode("utf-8"))
        report.zones = len(configured)
        manifest.update(zones=ZONES, zoneCount=report.zones)
    _write_atomic(directory / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return report


# --- restore ----------------------------------------------------------------------------------
@dataclass
class RestoreReport:
    directory: Path
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)     # foreign files: (path, why)
    failed: list[tuple[str, str]] = field(default_factory=list)      # store errors: run again
    likes_restored: int = 0
    likes_pending: list[str] = field(default_factory=list)           # image not catalogued (yet)
    zones_restored: int = 0

    @property
    def complete(self) -> bool:
        return not self.failed and not self.likes_pending


def _files(directory: Path) -> Iterator[tuple[str, Path]]:
    """Every file under the folder as (relative path, path), sorted, links not followed."""
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            yield path.relative_to(directory).as_posix(), path


def _foreign(rel: str, path: Path) -> str | None:
    """Why a file in the backup folder is not an image to restore (None: it is one)."""
    if path.is_symlink():
        return "a symbolic link"
    if Path(rel).name.startswith(".tmp-"):
        return "an unfinished temporary file"
    try:
        parse_key(rel, areas=AREAS)
    except InvalidKey as exc:
        return f"not a garden or pool image key ({exc})"
    return None


def read_catalog(directory: Path, report: RestoreReport) -> list[LikeExport]:
    """The likes in the backup's catalog export; a malformed line is reported and skipped."""
    path = directory / CATALOG
    if not path.is_file():
        return []
    entries = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                key, likes = item["key"], int(item.get("likes") or 0)
                visitors = item.get("visitors") or []
                if not isinstance(key, str) or not isinstance(visitors, list) or likes < 0:
                    raise ValueError("bad field types")
            except (ValueError, KeyError, TypeError) as exc:
                report.skipped.append((f"{CATALOG}:{number}", f"malformed catalog line ({exc})"))
                continue
            if likes or visitors:
                entries.append(LikeExport(key, likes, [str(v) for v in visitors]))
    return entries


def restore(store: ObjectStore, index: ImageIndex, likes: Engagement, directory: Path,
            progress: Progress = _quiet,
            wait_seconds: float = 0.0, sleep: Callable[[float], None] = time.sleep,
            zones: ZoneStore | None = None) -> RestoreReport:
    """Write the backup's images back through the store, then merge its likes, then (with
    ``zones``) put back its display zones.

    ``wait_seconds``: in AWS the object events reach the catalog asynchronously, so likes of
    images not catalogued yet are retried for up to this long before being reported pending
    (running restore again later settles them).
    """
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise InvalidRequest(f"{directory} is not a folder")
    report = RestoreReport(directory)
    existing = {obj.key: obj.size for prefix in PREFIXES for obj in store.list(prefix)}
    candidates: list[tuple[str, Path]] = []
    for rel, path in _files(directory):
        if rel in (MANIFEST, CATALOG, ZONES):
            continue
        key = from_original(rel)   # the original's imgPool/ is our pool/
        why = _foreign(key, path)
        if why:
            report.skipped.append((rel, why))
        else:
            candidates.append((key, path))
    for done, (key, path) in enumerate(candidates, 1):
        try:
            _restore_one(store, key, path, existing, report)
        except (GardenError, OSError) as exc:
            report.failed.append((key, str(exc) or type(exc).__name__))
        progress(done, len(candidates), key)
    pending = read_catalog(directory, report)
    deadline = time.monotonic() + max(0.0, wait_seconds)
    while True:
        left = []
        for entry in pending:
            if likes.restore_likes(entry):
                report.likes_restored += 1
            else:
                left.append(entry)
        pending = left
        if not pending or time.monotonic() >= deadline:
            break
        sleep(min(1.0, max(0.05, deadline - time.monotonic())))
    report.likes_pending = [entry.key for entry in pending]
    if zones is not None:
        for config in read_zones(directory, report):
            zones.put_zone(config)
            report.zones_restored += 1
    return report


def read_zones(directory: Path, report: RestoreReport) -> list[dict[str, Any]]:
    """The backup's zone configurations, each checked as an operator's would be (its keys'
    shape, not whether the images are there); a malformed one is reported and skipped.
    None in a backup made before zones existed."""
    path = directory / ZONES
    if not path.is_file():
        return []
    try:
        if path.stat().st_size > MAX_ZONES_BYTES:
            raise ValueError("too large")
        entries = json.loads(path.read_text(encoding="utf-8"))["zones"]
        if not isinstance(entries, list):
            raise ValueError("zones is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        report.skipped.append((ZONES, f"malformed zones file ({exc})"))
        return []
    configs = []
    for number, entry in enumerate(entries, 1):
        try:
            if not isinstance(entry, dict):
                raise InvalidRequest("not an object")
            zone = zone_rules.body_zone(entry.get("zone"))
            fields = {k: entry.get(k) for k in zone_rules.FIELDS
                      if not (k == "images" and entry.get("mode") != "chosen")}
            config = zone_rules.parse_config(fields)
        except GardenError as exc:
            report.skipped.append((f"{ZONES}:{number}", f"malformed zone ({exc})"))
            continue
        updated = entry.get("updated")
        configs.append({"zone": zone, **config,
                        "updated": updated if isinstance(updated, str) and len(updated) <= 40 else None})
    return configs


def _restore_one(store: ObjectStore, key: str, path: Path, existing: dict[str, int],
                 report: RestoreReport) -> None:
    data = path.read_bytes()
    if data[:2] != JPEG_SOI:
        report.skipped.append((key, "not a JPEG"))
        return
    if existing.get(key) == len(data) and store.get(key) == data:
        report.unchanged += 1   # already there byte for byte: no write, no event, no duplicate
        return
    store.put(key, data, "image/jpeg")
    report.written.append(key)
