"""The ZoneStore port on the SQLite file: tables ``zones`` (one row per configured zone, its
configuration as JSON text) and ``kiosk_reading`` (one row at most: the last reading's
emotion and time)."""
from __future__ import annotations

import json
from typing import Any

from .. import Reading
from .._zones import check_reading, check_zone, zone_doc
from .db import OnDatabase


class SqliteZoneStore(OnDatabase):
    """The ZoneStore port on a SQLite file; safe to share between threads."""

    def get_zone(self, zone: int) -> dict[str, Any] | None:
        rows = self.db.read("SELECT doc FROM zones WHERE zone = ?", (check_zone(zone),))
        return dict(json.loads(rows[0]["doc"])) if rows else None

    def put_zone(self, config: dict[str, Any]) -> None:
        zone, doc = zone_doc(config)
        with self.db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO zones (zone, doc) VALUES (?, ?)", (zone, doc))

    def delete_zone(self, zone: int) -> bool:
        with self.db.write() as conn:
            return conn.execute("DELETE FROM zones WHERE zone = ?",
                                (check_zone(zone),)).rowcount > 0

    def list_zones(self) -> list[dict[str, Any]]:
        return [dict(json.loads(row["doc"]))
                for row in self.db.read("SELECT doc FROM zones ORDER BY zone")]

    def record_reading(self, emotion: str, at_ms: int) -> bool:
        emotion, at_ms = check_reading(emotion, at_ms)
        with self.db.write() as conn:
            return conn.execute(
                "INSERT INTO kiosk_reading (id, emotion, at_ms) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET emotion = excluded.emotion, at_ms = excluded.at_ms "
                "WHERE excluded.at_ms >= kiosk_reading.at_ms", (emotion, at_ms)).rowcount > 0

    def last_reading(self) -> Reading | None:
        rows = self.db.read("SELECT emotion, at_ms FROM kiosk_reading WHERE id = 1")
        return Reading(rows[0]["emotion"], rows[0]["at_ms"]) if rows else None
