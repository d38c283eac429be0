"""The ImageIndex port on the catalog table: image items, like items and the garden index
(the package's docstring describes them)."""
from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from ...errors import ImageNotFound, InvalidRequest, ServiceUnavailable
from ...rules.cursors import BAD_CURSOR, decode_cursor, encode_cursor
from ...rules.layout import GARDEN, ORIENTATION_NAMES, POOL
from .. import ImageRecord, LikeExport, Outcome, Page, pad_sequencer, repad_legacy_sequencer
from .._counters import check_segments
from .._images import check_limit, same_fields
from .codec import from_dynamo, to_dynamo
from .counters import DynamoCounters, counter_key, like_counters
from .table import (
    GARDEN_INDEX,
    IMAGE_SK,
    WRITE_RETRIES,
    ConditionFailed,
    OnTable,
    aws,
    code,
    garden_partition,
    image_key,
    now_ms,
)

LIKE_PREFIX = "LIKE#"
# A like is one transaction (the like item, the image's count, the learned order's counters);
# simultaneous likes of one image conflict (TransactionConflict) and are retried after a
# random pause of up to 20 ms, 40 ms, … (at most 0.5 s).
LIKE_ATTEMPTS, LIKE_BACKOFF_S, LIKE_BACKOFF_CAP_S = 8, 0.01, 0.5
S3_SEQUENCER_WIDTH = 18   # S3 event sequencers' usual length (e.g. "0055AED6DCD90281E5")
RANK_PER_LIKE = 10**13
GARDEN_AREAS = (GARDEN, POOL)
# Removed from an image when it becomes a tombstone.
_IMAGE_FIELDS = ("area", "emotion", "favorite", "orientation", "created_ms", "size",
                 "provenance", "likes", "likes_rank", "rank", "gpk")


class LikesContended(ServiceUnavailable):
    """Every attempt of a like met another transaction on the same image (HTTP 503)."""
    retry_after = 1


class DynamoImageIndex(DynamoCounters, OnTable):
    """The ImageIndex port on the catalog table (a boto3 ``Table`` resource)."""

    sleep: Callable[[float], None] = staticmethod(time.sleep)  # the backoff's pause (tests)

    def _record(self, item: dict[str, Any]) -> ImageRecord:  # for the counters' fresh order
        return _record(item)

    # --- image items: written from the store only ----------------------------------------
    def apply_created(self, record: ImageRecord, sequencer: str) -> Outcome:
        seq = pad_sequencer(sequencer)
        try:
            old = self._write_image(record, seq_value=seq,
                                    condition="attribute_not_exists(pk) OR #seq < :seq")
        except ConditionFailed:
            return self._stale_or_duplicate(record.key, seq)
        return Outcome.ADDED if _invisible(old) else Outcome.UPDATED

    def apply_removed(self, key: str, sequencer: str) -> Outcome:
        seq = pad_sequencer(sequencer)
        try:
            old = self._bury(key, seq, "attribute_not_exists(pk) OR #seq < :seq")
        except ConditionFailed:
            return self._stale_or_duplicate(key, seq)
        if _invisible(old):
            return Outcome.ABSENT
        self._delete_likes(key)
        return Outcome.REMOVED

    def reconcile(self, record: ImageRecord) -> Outcome:
        for _ in range(WRITE_RETRIES):
            item = self._get(record.key)
            if item is not None and not _invisible(item) \
                    and same_fields(_record(item), record):
                return Outcome.UNCHANGED
            # The listing is the truth now, but only over the item we just read: a newer
            # event landing in between wins, and we look again.
            if item is None:
                condition, values = "attribute_not_exists(pk)", {}
            else:
                condition, values = "#seq = :seen", {":seen": item.get("seq", "")}
            try:
                self._write_image(record, seq_value=item.get("seq", "") if item else "",
                                  condition=condition, extra_values=values)
            except ConditionFailed:
                continue
            return Outcome.ADDED if _invisible(item) else Outcome.UPDATED
        raise ServiceUnavailable(f"{record.key!r} kept changing while being reindexed")

    def forget(self, key: str) -> bool:
        try:
            self._bury(key, None, "attribute_exists(pk) AND attribute_not_exists(tombstone)")
        except ConditionFailed:
            return False
        self._delete_likes(key)
        return True

    # --- reads ----------------------------------------------------------------------------
    def get_image(self, key: str) -> ImageRecord | None:
        item = self._get(key)
        return None if _invisible(item) else _record(item)  # type: ignore[arg-type]

    def query(self, area: str, emotion: str, orientation: str, limit: int,
              cursor: str | None = None, favorite: str | None = None) -> Page:
        check_limit(limit)
        gpk = garden_partition(area, emotion, orientation)
        start = _decode_start_key(cursor, gpk) if cursor is not None else None
        items = self._index_items(GARDEN_INDEX, gpk, limit, start, cursor is not None, favorite)
        page = items[:limit]
        next_cursor = _encode_start_key(page[-1]) if len(items) > limit else None
        return Page([_record(i) for i in page], next_cursor)

    def count(self, area: str, emotion: str) -> int:
        return sum(int(response["Count"])
                   for response in self._emotion_pages(area, emotion, Select="COUNT"))

    def favorites(self, area: str, emotion: str) -> dict[str, int]:
        # The emotion's partitions of the garden index, only favorite coming back: the cost
        # is one read unit per ~4 KB of the emotion's index entries (never the whole table).
        found: Counter[str] = Counter()
        for response in self._emotion_pages(area, emotion, ProjectionExpression="#fav",
                                            ExpressionAttributeNames={"#fav": "favorite"}):
            found.update(str(i["favorite"]) for i in response.get("Items", []) if i.get("favorite"))
        return dict(found)

    def likes_total(self, area: str, emotion: str) -> int:
        # The garden index holds every visible image of the emotion; only likes come back.
        return sum(int(item.get("likes", 0))
                   for response in self._emotion_pages(
                       area, emotion, ProjectionExpression="#likes",
                       ExpressionAttributeNames={"#likes": "likes"})
                   for item in response.get("Items", []))

    def iter_images(self, prefix: str = "") -> Iterator[ImageRecord]:
        condition = (Attr("sk").eq(IMAGE_SK) & Attr("tombstone").not_exists()
                     & Attr("pk").begins_with(f"IMG#{prefix}"))
        for response in self._pages(self.table.scan, FilterExpression=condition):
            for item in response.get("Items", []):
                yield _record(item)

    # --- likes ----------------------------------------------------------------------------
    def like(self, key: str, visitor: str, segments: Sequence[str] = ()) -> tuple[int, bool]:
        image = image_key(key)
        counters = like_counters(self.table.name, key, check_segments(segments))
        for attempt in range(LIKE_ATTEMPTS):
            if attempt:  # full jitter: simultaneous likes spread out instead of colliding again
                self.sleep(random.uniform(0, min(LIKE_BACKOFF_CAP_S,
                                                 LIKE_BACKOFF_S * 2 ** attempt)))
            try:
                with aws():
                    self._client.transact_write_items(TransactItems=[
                        {"Put": {
                            "TableName": self.table.name,
                            "Item": {"pk": image["pk"], "sk": LIKE_PREFIX + visitor,
                                     "visitor": visitor, "liked_ms": now_ms()},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
                        {"Update": {
                            "TableName": self.table.name, "Key": image,
                            "UpdateExpression": "ADD #likes :one, #rank :step, #lrank :step",
                            "ConditionExpression":
                                "attribute_exists(pk) AND attribute_not_exists(tombstone)",
                            "ExpressionAttributeNames": {"#likes": "likes", "#rank": "rank",
                                                         "#lrank": "likes_rank"},
                            "ExpressionAttributeValues": {":one": 1, ":step": RANK_PER_LIKE}}},
                        *counters,   # the learned order's counters: in the same transaction
                    ])
            except ClientError as exc:
                if code(exc) != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if "TransactionConflict" in reasons:
                    continue  # another writer on the same image: try again
                if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                    raise ImageNotFound(f"no image {key!r} in the catalog") from exc
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return self._likes_of(key), False
                raise ServiceUnavailable("the catalog refused the like; try again") from exc
            return self._likes_of(key), True
        raise LikesContended("too many simultaneous likes of this image; try again")

    def export_likes(self) -> Iterator[LikeExport]:
        condition = ((Attr("sk").eq(IMAGE_SK) & Attr("tombstone").not_exists())
                     | Attr("sk").begins_with(LIKE_PREFIX))
        likes: dict[str, int] = {}
        visitors: dict[str, list[str]] = {}
        for response in self._pages(self.table.scan, FilterExpression=condition,
                                    ProjectionExpression="pk, sk, #likes, #visitor",
                                    ExpressionAttributeNames={"#likes": "likes",
                                                              "#visitor": "visitor"}):
            for item in response.get("Items", []):
                key = item["pk"][len("IMG#"):]
                if item["sk"] == IMAGE_SK:
                    likes[key] = int(item.get("likes", 0))
                else:
                    visitors.setdefault(key, []).append(item["visitor"])
        for key in sorted(likes):
            if likes[key] > 0 or visitors.get(key):
                yield LikeExport(key, likes[key], sorted(visitors.get(key, [])))

    def restore_likes(self, entry: LikeExport) -> bool:
        item = self._get(entry.key)
        if _invisible(item):
            return False
        pk = image_key(entry.key)["pk"]
        for visitor in entry.visitors:
            try:
                with aws():
                    self.table.put_item(
                        Item={"pk": pk, "sk": LIKE_PREFIX + visitor, "visitor": visitor,
                              "liked_ms": now_ms()},
                        ConditionExpression="attribute_not_exists(pk)")
            except ClientError as exc:
                if code(exc) != "ConditionalCheckFailedException":
                    raise
        union = self._count_likes(entry.key)
        for _ in range(WRITE_RETRIES):
            current = int(item.get("likes", 0))  # type: ignore[union-attr]
            # Never lower a count: restoring twice, or an older backup, changes nothing.
            step = max(int(entry.likes), union, current) - current
            if step == 0:
                return True
            try:
                self._update(image_key(entry.key),
                             "ADD #likes :step, #rank :rank, #lrank :rank",
                             "#likes = :current AND attribute_not_exists(tombstone)",
                             {"#likes": "likes", "#rank": "rank", "#lrank": "likes_rank"},
                             {":step": step, ":rank": step * RANK_PER_LIKE, ":current": current})
                return True
            except ConditionFailed:
                item = self._get(entry.key)
                if _invisible(item):
                    return False
        raise ServiceUnavailable(f"{entry.key!r} kept changing while its likes were restored")

    # --- one-off migration ------------------------------------------------------------------
    def repad_legacy_sequencers(self, width: int = S3_SEQUENCER_WIDTH) -> int:
        """Rewrite sequencers stored left-padded (before the S3 rule was followed) in today's
        right-padded form; the number of items changed. Safe to run while events arrive
        (each write is conditional on the value read) and to run again (values already in
        today's form are left alone). docs/deploy.md says when to run it."""
        changed = 0
        condition = Attr("sk").eq(IMAGE_SK) & Attr("seq").exists()
        for response in self._pages(self.table.scan, FilterExpression=condition,
                                    ProjectionExpression="pk, sk, #seq",
                                    ExpressionAttributeNames={"#seq": "seq"}):
            for item in response.get("Items", []):
                new = repad_legacy_sequencer(item["seq"], width)
                if new == item["seq"]:
                    continue
                try:
                    self._update({"pk": item["pk"], "sk": item["sk"]}, "SET #seq = :new",
                                 "#seq = :old", {"#seq": "seq"},
                                 {":new": new, ":old": item["seq"]})
                    changed += 1
                except ConditionFailed:
                    pass  # a newer event wrote it meanwhile, already in today's form
        return changed

    # --- internals ------------------------------------------------------------------------
    def _emotion_pages(self, area: str, emotion: str, **extra: Any) -> Iterator[dict[str, Any]]:
        """The garden index's pages of an emotion's visible images in an area, both
        orientations."""
        for orientation in ORIENTATION_NAMES:
            yield from self._pages(
                self.table.query, IndexName=GARDEN_INDEX,
                KeyConditionExpression=Key("gpk").eq(garden_partition(area, emotion, orientation)),
                **extra)

    def _get(self, key: str) -> dict[str, Any] | None:
        with aws():
            item: dict[str, Any] | None = self.table.get_item(
                Key=image_key(key), ConsistentRead=True).get("Item")
        return item

    def _likes_of(self, key: str) -> int:
        item = self._get(key)
        if _invisible(item):
            raise ImageNotFound(f"no image {key!r} in the catalog")
        return int(item.get("likes", 0))  # type: ignore[union-attr]

    def _write_image(self, record: ImageRecord, seq_value: str, condition: str,
                     extra_values: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Set every field of an image from the store, keeping likes it has; the old item."""
        names = {"#key": "key", "#area": "area", "#created": "created_ms", "#size": "size",
                 "#prov": "provenance", "#likes": "likes", "#rank": "rank",
                 "#lrank": "likes_rank", "#seq": "seq", "#tomb": "tombstone"}
        values: dict[str, Any] = {
            ":key": record.key, ":area": record.area, ":created": int(record.created_ms),
            ":size": int(record.size), ":prov": to_dynamo(record.provenance or {}),
            ":zero": 0, ":seq": seq_value, **(extra_values or {})}
        sets = ["#key = :key", "#area = :area", "#created = :created", "#size = :size",
                "#prov = :prov", "#likes = if_not_exists(#likes, :zero)",
                "#rank = if_not_exists(#lrank, :zero) + :created", "#seq = :seq"]
        removes = ["#tomb"]
        optional = {"emotion": record.emotion, "favorite": record.favorite,
                    "orientation": record.orientation, "gpk": _gpk(record)}
        for name, value in optional.items():
            names[f"#{name}"] = name
            if value is None:
                removes.append(f"#{name}")
            else:
                values[f":{name}"] = value
                sets.append(f"#{name} = :{name}")
        expression = "SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes)
        return self._update(image_key(record.key), expression, condition, names, values,
                            returns="ALL_OLD")

    def _bury(self, key: str, seq: str | None, condition: str) -> dict[str, Any] | None:
        """Turn the item into a tombstone (seq None keeps the one it has); the old item."""
        names = {"#key": "key", "#tomb": "tombstone", **{f"#{n}": n for n in _IMAGE_FIELDS}}
        values: dict[str, Any] = {":key": key, ":true": True}
        sets = ["#key = :key", "#tomb = :true"]
        if seq is not None:  # DynamoDB rejects names and values an expression does not use
            names["#seq"] = "seq"
            values[":seq"] = seq
            sets.append("#seq = :seq")
        expression = ("SET " + ", ".join(sets) + " REMOVE "
                      + ", ".join(f"#{n}" for n in _IMAGE_FIELDS))
        return self._update(image_key(key), expression, condition, names, values,
                            returns="ALL_OLD")

    def _stale_or_duplicate(self, key: str, seq: str) -> Outcome:
        item = self._get(key)
        # The condition failed, so the remembered sequencer is at least ours.
        return Outcome.DUPLICATE if item is not None and item.get("seq") == seq \
            else Outcome.STALE

    def _like_items(self, key: str, **extra: Any) -> Iterator[dict[str, Any]]:
        condition = Key("pk").eq(image_key(key)["pk"]) & Key("sk").begins_with(LIKE_PREFIX)
        yield from self._pages(self.table.query, KeyConditionExpression=condition,
                               ConsistentRead=True, **extra)

    def _count_likes(self, key: str) -> int:
        return sum(int(page["Count"]) for page in self._like_items(key, Select="COUNT"))

    def _delete_likes(self, key: str) -> None:
        with aws(), self.table.batch_writer() as batch:
            batch.delete_item(Key=counter_key(key))   # the image's counters go with it
            for page in self._like_items(key, ProjectionExpression="pk, sk"):
                for item in page.get("Items", []):
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})


def _gpk(record: ImageRecord) -> str | None:
    if record.area in GARDEN_AREAS and record.emotion and record.orientation:
        return garden_partition(record.area, record.emotion, record.orientation)
    return None


def _invisible(item: dict[str, Any] | None) -> bool:
    return item is None or bool(item.get("tombstone"))


def _record(item: dict[str, Any]) -> ImageRecord:
    return ImageRecord(key=item["key"], area=item["area"], emotion=item.get("emotion"),
                       favorite=item.get("favorite"), orientation=item.get("orientation"),
                       created_ms=int(item["created_ms"]), size=int(item["size"]),
                       provenance=from_dynamo(item.get("provenance", {})),
                       likes=int(item.get("likes", 0)))


def _encode_start_key(item: dict[str, Any]) -> str:
    return encode_cursor({"pk": item["pk"], "sk": item["sk"], "gpk": item["gpk"],
                          "rank": int(item["rank"])})


def _decode_start_key(cursor: str, gpk: str) -> dict[str, Any]:
    data = decode_cursor(cursor)
    if not (set(data) == {"pk", "sk", "gpk", "rank"} and data["gpk"] == gpk
            and isinstance(data["pk"], str) and data["pk"].startswith("IMG#")
            and data["sk"] == IMAGE_SK and type(data["rank"]) is int and data["rank"] >= 0):
        raise InvalidRequest(BAD_CURSOR)
    return {**data, "rank": Decimal(data["rank"])}
