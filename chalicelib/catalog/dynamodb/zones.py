"""The ZoneStore port on the catalog table: zone items and the kiosk reading item (the
package's docstring describes them)."""
from __future__ import annotations

import json
from typing import Any

from boto3.dynamodb.conditions import Key

from .. import Reading
from .._zones import check_reading, check_zone, zone_doc
from .table import ConditionFailed, OnTable, aws

ZONES_PK = "ZONE"
READING_KEY = {"pk": "KIOSK", "sk": "READING"}


def zone_key(zone: int) -> dict[str, str]:
    return {"pk": ZONES_PK, "sk": f"ZONE#{zone:02d}"}


class DynamoZoneStore(OnTable):
    """The ZoneStore port on the catalog table."""

    def get_zone(self, zone: int) -> dict[str, Any] | None:
        with aws():
            item = self.table.get_item(Key=zone_key(check_zone(zone)),
                                       ConsistentRead=True).get("Item")
        return None if item is None else dict(json.loads(item["doc"]))

    def put_zone(self, config: dict[str, Any]) -> None:
        zone, doc = zone_doc(config)
        with aws():
            self.table.put_item(Item={**zone_key(zone), "zone": zone, "doc": doc})

    def delete_zone(self, zone: int) -> bool:
        with aws():
            response = self.table.delete_item(Key=zone_key(check_zone(zone)),
                                              ReturnValues="ALL_OLD")
        return bool(response.get("Attributes"))

    def list_zones(self) -> list[dict[str, Any]]:
        pages = self._pages(self.table.query, KeyConditionExpression=Key("pk").eq(ZONES_PK),
                            ConsistentRead=True)
        items = [item for page in pages for item in page.get("Items", [])]
        return [dict(json.loads(item["doc"])) for item in sorted(items, key=lambda i: i["sk"])]

    def record_reading(self, emotion: str, at_ms: int) -> bool:
        emotion, at_ms = check_reading(emotion, at_ms)
        try:
            self._update(READING_KEY, "SET emotion = :e, at_ms = :at",
                         "attribute_not_exists(pk) OR at_ms <= :at", {},
                         {":e": emotion, ":at": at_ms})
        except ConditionFailed:
            return False
        return True

    def last_reading(self) -> Reading | None:
        with aws():
            item = self.table.get_item(Key=READING_KEY, ConsistentRead=True).get("Item")
        return None if item is None else Reading(str(item["emotion"]), int(item["at_ms"]))
