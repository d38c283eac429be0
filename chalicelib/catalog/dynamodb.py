"""The catalog in one DynamoDB table: the AWS implementation of the Catalog port.

Single-table design (``create_table`` builds exactly this; the infrastructure template
mirrors it):

Table: on-demand billing; key ``pk`` (S, HASH) + ``sk`` (S, RANGE); TTL on ``ttl``.

Image item — ``pk = "IMG#{key}"``, ``sk = "IMG"``:
    key (S), area (S), emotion (S, absent for text2image), favorite (S, absent when none),
    orientation (S, absent for text2image), created_ms (N), size (N), provenance (M),
    likes (N), likes_rank (N) = likes·10^13, rank (N) = likes·10^13 + created_ms,
    seq (S): the padded sequencer of the last event applied ("" when written by reindex),
    gpk (S) = "{area}#{EMOTION}#{orientation}" — only on visible garden/pool items.
  A tombstone (removed image) keeps only pk, sk, key, seq and ``tombstone`` (BOOL true); it
  has no gpk, so it is never in the index, and every read skips it.

Like item — ``pk = "IMG#{key}"``, ``sk = "LIKE#{visitor}"``: visitor (S), liked_ms (N).
  ``like`` is one TransactWriteItems: Put of the like item if it does not exist, and
  ``ADD likes 1, rank 10^13, likes_rank 10^13`` on the image if it exists and is no
  tombstone — so the count, the garden order and "one like per visitor" move together.
  Removing an image deletes its like items.

Job item — ``pk = "JOB#{jobId}"``, ``sk = "JOB"``: the job document's fields as top-level
  attributes (``images``/``errors`` lists appended with list_append), ``ttl`` (N, epoch
  seconds) 30 days after creation.

GSI ``garden``: partition ``gpk`` (S), sort ``rank`` (N), projection ALL; queried with
  ScanIndexForward=False, it lists one emotion's images of one orientation in one area
  most liked first, then newest. rank packs both into one number (created_ms < 10^13 until
  the year 2286) so a like reorders the item atomically. Items with equal rank (same likes,
  same millisecond) come back in the index's own order, not by key.

Out-of-order events: writes carry ``attribute_not_exists(pk) OR seq < :seq``; a failed
condition is read back to tell STALE from DUPLICATE. Writes keep the likes they find
(``if_not_exists``): a tombstone has none, so a re-created image starts from zero.

Cursors are base64url JSON of the index's LastEvaluatedKey (pk, sk, gpk, rank).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import ImageNotFound, InvalidRequest, JobNotFound, ServiceUnavailable
from ..layout import GARDEN, POOL
from . import ImageRecord, LikeExport, Outcome, Page, pad_sequencer
from ._common import (
    BAD_CURSOR,
    check_job_list,
    check_limit,
    decode_cursor,
    encode_cursor,
    new_job_doc,
    same_fields,
)

GARDEN_INDEX = "garden"
IMAGE_SK = "IMG"
JOB_SK = "JOB"
LIKE_PREFIX = "LIKE#"
RANK_PER_LIKE = 10**13
JOB_TTL_S = 30 * 24 * 3600
GARDEN_AREAS = (GARDEN, POOL)
ORIENTATIONS = ("landscape", "portrait")
_JOB_RESERVED = ("pk", "sk", "ttl")
_WRITE_RETRIES = 5
_UNAVAILABLE = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "ResourceNotFoundException",
    "TransactionInProgressException", "LimitExceededException",
}
# Removed from an image when it becomes a tombstone.
_IMAGE_FIELDS = ("area", "emotion", "favorite", "orientation", "created_ms", "size",
                 "provenance", "likes", "likes_rank", "rank", "gpk")


def garden_partition(area: str, emotion: str, orientation: str) -> str:
    """The GSI partition value of a visible garden or pool image."""
    return f"{area}#{emotion}#{orientation}"


def image_key(key: str) -> dict[str, str]:
    return {"pk": f"IMG#{key}", "sk": IMAGE_SK}


def table_definition(name: str) -> dict[str, Any]:
    """CreateTable arguments for the catalog table (the template mirrors these)."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"},
                                 {"AttributeName": "gpk", "AttributeType": "S"},
                                 {"AttributeName": "rank", "AttributeType": "N"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": GARDEN_INDEX,
            "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"},
                          {"AttributeName": "rank", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    }


def create_table(dynamodb: Any, name: str) -> None:
    """Create the catalog table (and its TTL) and wait until it is usable.

    ``dynamodb`` is a boto3 DynamoDB client or service resource."""
    client = _client_of(dynamodb)
    client.create_table(**table_definition(name))
    client.get_waiter("table_exists").wait(TableName=name,
                                           WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "ttl"})


class DynamoCatalog:
    """The Catalog port on a DynamoDB table (a boto3 ``Table`` resource)."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self._client = table.meta.client  # takes Python values, like the resource

    # --- image items: written from the store only ----------------------------------------
    def apply_created(self, record: ImageRecord, sequencer: str) -> Outcome:
        seq = pad_sequencer(sequencer)
        try:
            old = self._write_image(record, seq_value=seq,
                                    condition="attribute_not_exists(pk) OR #seq < :seq")
        except _ConditionFailed:
            return self._stale_or_duplicate(record.key, seq)
        return Outcome.ADDED if _invisible(old) else Outcome.UPDATED

    def apply_removed(self, key: str, sequencer: str) -> Outcome:
        seq = pad_sequencer(sequencer)
        try:
            old = self._bury(key, seq, "attribute_not_exists(pk) OR #seq < :seq")
        except _ConditionFailed:
            return self._stale_or_duplicate(key, seq)
        if _invisible(old):
            return Outcome.ABSENT
        self._delete_likes(key)
        return Outcome.REMOVED

    def reconcile(self, record: ImageRecord) -> Outcome:
        for _ in range(_WRITE_RETRIES):
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
            except _ConditionFailed:
                continue
            return Outcome.ADDED if _invisible(item) else Outcome.UPDATED
        raise ServiceUnavailable(f"{record.key!r} kept changing while being reindexed")

    def forget(self, key: str) -> bool:
        try:
            self._bury(key, None, "attribute_exists(pk) AND attribute_not_exists(tombstone)")
        except _ConditionFailed:
            return False
        self._delete_likes(key)
        return True

    # --- reads ----------------------------------------------------------------------------
    def get_image(self, key: str) -> ImageRecord | None:
        item = self._get(key)
        return None if _invisible(item) else _record(item)  # type: ignore[arg-type]

    def query(self, area: str, emotion: str, orientation: str, limit: int,
              cursor: str | None = None) -> Page:
        check_limit(limit)
        gpk = garden_partition(area, emotion, orientation)
        start = _decode_start_key(cursor, gpk) if cursor is not None else None
        items: list[dict[str, Any]] = []
        # Ask for one more than wanted: a full page then knows whether another follows.
        while len(items) <= limit:
            args: dict[str, Any] = {"IndexName": GARDEN_INDEX, "ScanIndexForward": False,
                                    "KeyConditionExpression": Key("gpk").eq(gpk),
                                    "Limit": limit + 1 - len(items)}
            if start is not None:
                args["ExclusiveStartKey"] = start
            with _aws(invalid_is_request=cursor is not None):
                response = self.table.query(**args)
            items += response.get("Items", [])
            start = response.get("LastEvaluatedKey")
            if start is None:
                break
        page = items[:limit]
        next_cursor = _encode_start_key(page[-1]) if len(items) > limit else None
        return Page([_record(i) for i in page], next_cursor)

    def count(self, area: str, emotion: str) -> int:
        total = 0
        for orientation in ORIENTATIONS:
            condition = Key("gpk").eq(garden_partition(area, emotion, orientation))
            for response in self._pages(self.table.query, IndexName=GARDEN_INDEX,
                                        KeyConditionExpression=condition, Select="COUNT"):
                total += int(response["Count"])
        return total

    def iter_images(self, prefix: str = "") -> Iterator[ImageRecord]:
        condition = (Attr("sk").eq(IMAGE_SK) & Attr("tombstone").not_exists()
                     & Attr("pk").begins_with(f"IMG#{prefix}"))
        for response in self._pages(self.table.scan, FilterExpression=condition):
            for item in response.get("Items", []):
                yield _record(item)

    # --- likes ----------------------------------------------------------------------------
    def like(self, key: str, visitor: str) -> tuple[int, bool]:
        image = image_key(key)
        for _ in range(_WRITE_RETRIES):
            try:
                with _aws():
                    self._client.transact_write_items(TransactItems=[
                        {"Put": {
                            "TableName": self.table.name,
                            "Item": {"pk": image["pk"], "sk": LIKE_PREFIX + visitor,
                                     "visitor": visitor, "liked_ms": _now_ms()},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
                        {"Update": {
                            "TableName": self.table.name, "Key": image,
                            "UpdateExpression": "ADD #likes :one, #rank :step, #lrank :step",
                            "ConditionExpression":
                                "attribute_exists(pk) AND attribute_not_exists(tombstone)",
                            "ExpressionAttributeNames": {"#likes": "likes", "#rank": "rank",
                                                         "#lrank": "likes_rank"},
                            "ExpressionAttributeValues": {":one": 1, ":step": RANK_PER_LIKE}}},
                    ])
            except ClientError as exc:
                if _code(exc) != "TransactionCanceledException":
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
        raise ServiceUnavailable("too many concurrent likes on one image; try again")

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
                with _aws():
                    self.table.put_item(
                        Item={"pk": pk, "sk": LIKE_PREFIX + visitor, "visitor": visitor,
                              "liked_ms": _now_ms()},
                        ConditionExpression="attribute_not_exists(pk)")
            except ClientError as exc:
                if _code(exc) != "ConditionalCheckFailedException":
                    raise
        union = self._count_likes(entry.key)
        for _ in range(_WRITE_RETRIES):
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
            except _ConditionFailed:
                item = self._get(entry.key)
                if _invisible(item):
                    return False
        raise ServiceUnavailable(f"{entry.key!r} kept changing while its likes were restored")

    # --- job records ----------------------------------------------------------------------
    def create_job(self, job: dict[str, Any]) -> None:
        doc = new_job_doc(job)
        _check_job_fields(doc)
        item = {**_to_dynamo(doc), "pk": f"JOB#{doc['jobId']}", "sk": JOB_SK,
                "ttl": int(time.time()) + JOB_TTL_S}
        with _aws():
            self.table.put_item(Item=item)

    def append_job_entry(self, job_id: str, field: str, entry: dict[str, Any]) -> None:
        check_job_list(field)
        try:
            self._update({"pk": f"JOB#{job_id}", "sk": JOB_SK},
                         "SET #f = list_append(if_not_exists(#f, :empty), :entry)",
                         "attribute_exists(pk)", {"#f": field},
                         {":empty": [], ":entry": [_to_dynamo(entry)]})
        except _ConditionFailed:
            raise JobNotFound(f"no job {job_id!r}") from None

    def update_job(self, job_id: str, fields: dict[str, Any]) -> None:
        fields = {k: v for k, v in fields.items() if k != "jobId"}
        _check_job_fields(fields)
        if not fields:
            if self.get_job(job_id) is None:
                raise JobNotFound(f"no job {job_id!r}")
            return
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": _to_dynamo(value) for i, value in enumerate(fields.values())}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        try:
            self._update({"pk": f"JOB#{job_id}", "sk": JOB_SK}, expression,
                         "attribute_exists(pk)", names, values)
        except _ConditionFailed:
            raise JobNotFound(f"no job {job_id!r}") from None

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        with _aws():
            item = self.table.get_item(Key={"pk": f"JOB#{job_id}", "sk": JOB_SK},
                                       ConsistentRead=True).get("Item")
        if item is None:
            return None
        doc: dict[str, Any] = _from_dynamo({k: v for k, v in item.items()
                                            if k not in _JOB_RESERVED})
        return doc

    # --- internals ------------------------------------------------------------------------
    def _get(self, key: str) -> dict[str, Any] | None:
        with _aws():
            item: dict[str, Any] | None = self.table.get_item(
                Key=image_key(key), ConsistentRead=True).get("Item")
        return item

    def _likes_of(self, key: str) -> int:
        item = self._get(key)
        if _invisible(item):
            raise ImageNotFound(f"no image {key!r} in the catalog")
        return int(item.get("likes", 0))  # type: ignore[union-attr]

    def _update(self, key: dict[str, str], expression: str, condition: str,
                names: dict[str, str], values: dict[str, Any],
                returns: str = "NONE") -> dict[str, Any] | None:
        args: dict[str, Any] = {"Key": key, "UpdateExpression": expression,
                                "ConditionExpression": condition, "ReturnValues": returns}
        if names:
            args["ExpressionAttributeNames"] = names
        if values:
            args["ExpressionAttributeValues"] = values
        try:
            with _aws():
                response = self.table.update_item(**args)
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise _ConditionFailed() from exc
            raise
        attributes: dict[str, Any] | None = response.get("Attributes")
        return attributes

    def _write_image(self, record: ImageRecord, seq_value: str, condition: str,
                     extra_values: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Set every field of an image from the store, keeping likes it has; the old item."""
        names = {"#key": "key", "#area": "area", "#created": "created_ms", "#size": "size",
                 "#prov": "provenance", "#likes": "likes", "#rank": "rank",
                 "#lrank": "likes_rank", "#seq": "seq", "#tomb": "tombstone"}
        values: dict[str, Any] = {
            ":key": record.key, ":area": record.area, ":created": int(record.created_ms),
            ":size": int(record.size), ":prov": _to_dynamo(record.provenance or {}),
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
        with _aws(), self.table.batch_writer() as batch:
            for page in self._like_items(key, ProjectionExpression="pk, sk"):
                for item in page.get("Items", []):
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})

    def _pages(self, call: Callable[..., dict[str, Any]], **args: Any
               ) -> Iterator[dict[str, Any]]:
        while True:
            with _aws():
                response = call(**args)
            yield response
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


# --- helpers -------------------------------------------------------------------------------
class _ConditionFailed(Exception):
    """A ConditionExpression did not hold (internal: each caller says what it means)."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _aws(invalid_is_request: bool = False) -> Iterator[None]:
    """DynamoDB's failures as domain errors where the caller can act on them."""
    try:
        yield
    except ClientError as exc:
        code = _code(exc)
        if code in _UNAVAILABLE:
            raise ServiceUnavailable(f"the catalog is unavailable ({code}); try again") from exc
        if invalid_is_request and code == "ValidationException":
            raise InvalidRequest(BAD_CURSOR) from exc
        raise
    except BotoCoreError as exc:
        raise ServiceUnavailable("the catalog cannot be reached; try again") from exc


def _client_of(dynamodb: Any) -> Any:
    # A service resource carries its client in meta.client; a client's meta has none.
    return getattr(dynamodb.meta, "client", dynamodb)


def _now_ms() -> int:
    return int(time.time() * 1000)


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
                       provenance=_from_dynamo(item.get("provenance", {})),
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


def _check_job_fields(fields: dict[str, Any]) -> None:
    clash = [k for k in fields if k in _JOB_RESERVED or not isinstance(k, str) or not k]
    if clash:
        raise InvalidRequest(f"job fields {clash} are reserved by the catalog")


def _to_dynamo(value: Any) -> Any:
    """Python (JSON-like) values as boto3 takes them: floats become Decimals."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidRequest("numbers must be finite")
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {str(k): _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_dynamo(v) for v in value]
    raise InvalidRequest(f"cannot store a {type(value).__name__} in the catalog")


def _from_dynamo(value: Any) -> Any:
    """boto3's values back to JSON-like Python: Decimals become ints or floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value
