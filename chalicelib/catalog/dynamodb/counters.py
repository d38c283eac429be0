"""The ImageIndex port's counters and fresh order on the catalog table (composed into
DynamoImageIndex).

Counter item — ``pk = "IMG#{key}"``, ``sk = "CNT"``: key (S), ``i:{segment}`` and
  ``l:{segment}`` (N: impressions and likes of the image in that segment), updated_ms (N).
  Every change is an atomic ``ADD``; removing the image deletes the item with its likes.
Impression marker — ``pk = "SEEN#{hash of (visit, image)}"``, ``sk = "SEEN"``, ``ttl`` (N):
  DynamoDB's TTL deletes it after IMPRESSION_MARK_SECONDS. No visit id is stored.
  An impression is one TransactWriteItems: ConditionCheck that the image is visible, Put of
  the marker if it does not exist, ADD to the counter item — so an impression counts once
  per visit and image, and never for a removed image. A visitor's like adds to the counter
  item inside the like's own transaction (``like_counters``): a like is stored with its
  counters or not at all, and a retried one (its like item there) adds nothing.
GSI ``fresh``: partition ``gpk``, sort ``created_ms``: an emotion's images of one orientation,
  newest first (equal milliseconds in the index's own order).

``counters`` is BatchGetItem of the counter items (100 keys a call, unprocessed keys retried),
projected to the asked segments' attributes only."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from ...errors import InvalidRequest, ServiceUnavailable
from ...rules.bandit import Counts
from ...rules.cursors import BAD_CURSOR, decode_cursor, encode_cursor
from .. import CounterRow, ImageRecord, Page
from .._counters import check_segments, impression_mark, mark_expiry_ms, now
from .._images import check_limit
from .table import FRESH_INDEX, IMAGE_SK, WRITE_RETRIES, aws, code, garden_partition, image_key

COUNTER_SK = "CNT"
MARK_SK = "SEEN"
_BATCH_GET = 100
_VISIBLE = "attribute_exists(pk) AND attribute_not_exists(tombstone)"


def counter_key(key: str) -> dict[str, str]:
    return {"pk": image_key(key)["pk"], "sk": COUNTER_SK}


def _names(segments: list[str], tag: str) -> dict[str, str]:
    return {f"#{tag}{n}": f"{tag}:{s}" for n, s in enumerate(segments)}


def like_counters(table: str, key: str, segments: list[str]) -> list[dict[str, Any]]:
    """The transaction item that adds one like to the image's counters in each segment (none
    for no segments): part of the like's own transaction (images.py), so a like and its
    counters are written together or not at all."""
    if not segments:
        return []
    names = {**_names(segments, "l"), "#key": "key", "#updated": "updated_ms"}
    adds = ", ".join(f"{name} :one" for name in _names(segments, "l"))
    return [{"Update": {
        "TableName": table, "Key": counter_key(key),
        "UpdateExpression": f"ADD {adds} SET #key = :key, #updated = :now",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {":one": 1, ":key": key, ":now": now()}}}]


class DynamoCounters:
    """Mixin over the image index: needs its ``table``, ``_client`` and ``_record``."""

    if TYPE_CHECKING:
        table: Any
        _client: Any

        def _record(self, item: dict[str, Any]) -> ImageRecord: ...

        def _index_items(self, index: str, gpk: str, limit: int, start: dict[str, Any] | None,
                         from_cursor: bool, favorite: str | None = None
                         ) -> list[dict[str, Any]]: ...

    def query_fresh(self, area: str, emotion: str, orientation: str, limit: int,
                    cursor: str | None = None, favorite: str | None = None) -> Page:
        check_limit(limit)
        gpk = garden_partition(area, emotion, orientation)
        start = _decode_fresh_key(cursor, gpk) if cursor is not None else None
        items = self._index_items(FRESH_INDEX, gpk, limit, start, cursor is not None, favorite)
        page = items[:limit]
        following = _encode_fresh_key(page[-1]) if len(items) > limit else None
        return Page([self._record(i) for i in page], following)

    def count_impressions(self, visit: str, keys: Sequence[str],
                          segments: Sequence[str]) -> list[str]:
        segments = check_segments(segments)
        counted = []
        for key in dict.fromkeys(keys):
            mark = {"pk": f"{MARK_SK}#{impression_mark(visit, key)}", "sk": MARK_SK,
                    "ttl": mark_expiry_ms() // 1000}
            put = {"Put": {"TableName": self.table.name, "Item": mark,
                           "ConditionExpression": "attribute_not_exists(pk)"}}
            if self._count(key, segments, "i", put):
                counted.append(key)
        return counted

    def count_like(self, key: str, segments: Sequence[str]) -> None:
        self._count(key, check_segments(segments), "l", None)

    def _count(self, key: str, segments: list[str], tag: str, put: dict[str, Any] | None
               ) -> bool:
        """One transaction: the image is visible, (the marker is new,) ADD 1 to the counters.
        False when the image is gone or the marker was there."""
        names = {**_names(segments, tag), "#key": "key", "#updated": "updated_ms"}
        adds = ", ".join(f"{name} :one" for name in _names(segments, tag))
        actions: list[dict[str, Any]] = [
            {"ConditionCheck": {"TableName": self.table.name, "Key": image_key(key),
                                "ConditionExpression": _VISIBLE}}]
        if put is not None:
            actions.append(put)
        actions.append({"Update": {
            "TableName": self.table.name, "Key": counter_key(key),
            "UpdateExpression": f"ADD {adds} SET #key = :key, #updated = :now",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {":one": 1, ":key": key, ":now": now()}}})
        for _ in range(WRITE_RETRIES):
            try:
                with aws():
                    self._client.transact_write_items(TransactItems=actions)
                return True
            except ClientError as exc:
                if code(exc) != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    return False
                if "TransactionConflict" in reasons:
                    continue
                raise ServiceUnavailable("the catalog refused the count; try again") from exc
        raise ServiceUnavailable("too many concurrent counts on one image; try again")

    def counters(self, keys: Sequence[str], segments: Sequence[str]
                 ) -> dict[str, dict[str, Counts]]:
        segments = check_segments(segments)
        wanted = list(dict.fromkeys(keys))
        names = {**_names(segments, "i"), **_names(segments, "l"), "#key": "key"}
        projection = ", ".join(names)
        out: dict[str, dict[str, Counts]] = {}
        for start in range(0, len(wanted), _BATCH_GET):
            request: dict[str, Any] = {self.table.name: {
                "Keys": [counter_key(k) for k in wanted[start:start + _BATCH_GET]],
                "ProjectionExpression": projection, "ExpressionAttributeNames": names,
                "ConsistentRead": False}}
            for _ in range(WRITE_RETRIES + 1):
                with aws():
                    response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table.name, []):
                    found = _counts(item, segments)
                    if found:
                        out[item["key"]] = found
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            if request:
                raise ServiceUnavailable("the catalog is busy reading counters; try again")
        return out

    def iter_counters(self, since_ms: int = 0) -> Iterator[CounterRow]:
        condition = Attr("sk").eq(COUNTER_SK) & Attr("updated_ms").gte(since_ms)
        response_pages = self._scan_pages(FilterExpression=condition)
        rows = []
        for response in response_pages:
            for item in response.get("Items", []):
                named = {name[2:] for name in item if name.startswith(("i:", "l:"))}
                rows += [CounterRow(item["key"], segment, counts, int(item.get("updated_ms", 0)))
                         for segment, counts in _counts(item, sorted(named)).items()]
        yield from sorted(rows, key=lambda r: (r.key, r.segment))

    def _scan_pages(self, **args: Any) -> Iterator[dict[str, Any]]:
        while True:
            with aws():
                response: dict[str, Any] = self.table.scan(**args)
            yield response
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _counts(item: dict[str, Any], segments: list[str]) -> dict[str, Counts]:
    return {s: Counts(int(item.get(f"i:{s}", 0)), int(item.get(f"l:{s}", 0)))
            for s in segments if f"i:{s}" in item or f"l:{s}" in item}


def _encode_fresh_key(item: dict[str, Any]) -> str:
    return encode_cursor({"pk": item["pk"], "sk": item["sk"], "gpk": item["gpk"],
                          "created_ms": int(item["created_ms"])})


def _decode_fresh_key(cursor: str, gpk: str) -> dict[str, Any]:
    data = decode_cursor(cursor)
    if not (set(data) == {"pk", "sk", "gpk", "created_ms"} and data["gpk"] == gpk
            and isinstance(data["pk"], str) and data["pk"].startswith("IMG#")
            and data["sk"] == IMAGE_SK and type(data["created_ms"]) is int
            and -2**63 <= data["created_ms"] < 2**63):
        raise InvalidRequest(BAD_CURSOR)
    return {**data, "created_ms": Decimal(data["created_ms"])}
