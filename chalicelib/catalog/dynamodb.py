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
  attributes, ``deadEndpoints`` (SS, absent when none; ``ADD`` keeps it atomic), ``ttl``
  (N, epoch seconds) 30 days after creation.
Job entry item — ``pk = "JOB#{jobId}"``, ``sk = "IMG#{n:06d}"`` / ``"ERR#{n:06d}"`` (or a
  unique time-ordered key for an entry without n): ``entry`` (M), and the job's own ``ttl``,
  so the whole job expires together. An append is one PutItem of one small item (plus, for a
  dead endpoint's error, an atomic ``ADD`` to the job item's set first): a job of any
  size stays under the 400 KB item limit, and re-recording the same n replaces its entry.
  ``get_job`` is one Query of the partition (paged); ``job_summary`` one GetItem.
  Job items written before entries had items of their own keep ``images``/``errors`` lists
  inside; reads merge them with the entry items.

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

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import ImageNotFound, InvalidRequest, JobNotFound, ServiceUnavailable
from ..rules.layout import GARDEN, POOL
from . import ImageRecord, LikeExport, Outcome, Page, pad_sequencer
from ._common import (
    BAD_CURSOR,
    DEAD,
    JOB_LISTS,
    JOB_OWN,
    assemble_job,
    check_job_entry,
    check_job_fields,
    check_limit,
    dead_endpoint,
    dead_endpoints,
    decode_cursor,
    dedupe_entries,
    encode_cursor,
    legacy_entry_key,
    new_job_doc,
    same_fields,
    summarize_job,
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
ENTRY_PREFIX = {"images": "IMG#", "errors": "ERR#"}
_FIELD_OF = {prefix: field for field, prefix in ENTRY_PREFIX.items()}
_TTL_CACHE = 1024  # jobs whose ttl an adapter remembers (a ttl never changes)
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
        self._ttls: dict[str, int] = {}

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

    def likes_total(self, area: str, emotion: str) -> int:
        # The garden index holds every visible image of the emotion; only likes come back.
        total = 0
        for orientation in ORIENTATIONS:
            condition = Key("gpk").eq(garden_partition(area, emotion, orientation))
            for response in self._pages(self.table.query, IndexName=GARDEN_INDEX,
                                        KeyConditionExpression=condition,
                                        ProjectionExpression="#likes",
                                        ExpressionAttributeNames={"#likes": "likes"}):
                total += sum(int(item.get("likes", 0)) for item in response.get("Items", []))
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
        doc, entries = new_job_doc(job)
        _check_job_fields(doc)
        pk = _job_pk(doc["jobId"])
        ttl = int(time.time()) + JOB_TTL_S
        item = {**_to_dynamo(doc), "pk": pk, "sk": JOB_SK, "ttl": ttl}
        if dead := dead_endpoints(entries):
            item[DEAD] = dead
        with _job_write():
            stale = [key for page in self._job_pages(doc["jobId"], ProjectionExpression="pk, sk")
                     for key in page.get("Items", []) if key["sk"] != JOB_SK]
            with self.table.batch_writer() as batch:
                for key in stale:  # a re-created job starts with its own entries only
                    batch.delete_item(Key={"pk": key["pk"], "sk": key["sk"]})
            self.table.put_item(Item=item)
            with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
                for field, key, entry in entries:
                    batch.put_item(Item=_entry_item(pk, field, key, entry, ttl))
        self._remember_ttl(doc["jobId"], ttl)

    def append_job_entry(self, job_id: str, field: str, entry: dict[str, Any]) -> None:
        key = check_job_entry(field, entry)
        item = _entry_item(_job_pk(job_id), field, key, entry, self._job_ttl(job_id))
        dead = dead_endpoint(field, entry)
        if dead is not None:
            # ADD to a string set is atomic on its own; it goes first so that once the entry
            # is visible, so is the mark (a failure in between is retried by the workflow,
            # and both writes are idempotent).
            try:
                with _job_write():
                    self._update(_job_key(job_id), "ADD #dead :dead", "attribute_exists(pk)",
                                 {"#dead": DEAD}, {":dead": {dead}})
            except _ConditionFailed:
                raise JobNotFound(f"no job {job_id!r}") from None
        with _job_write():
            self.table.put_item(Item=item)

    def update_job(self, job_id: str, fields: dict[str, Any]) -> None:
        fields = {k: v for k, v in fields.items() if k != "jobId"}
        check_job_fields(fields)
        _check_job_fields(fields)
        if not fields:
            if self.job_summary(job_id) is None:
                raise JobNotFound(f"no job {job_id!r}")
            return
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": _to_dynamo(value) for i, value in enumerate(fields.values())}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        try:
            with _job_write():
                self._update(_job_key(job_id), expression, "attribute_exists(pk)", names, values)
        except _ConditionFailed:
            raise JobNotFound(f"no job {job_id!r}") from None

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        main: dict[str, Any] | None = None
        entries: list[tuple[str, str, dict[str, Any]]] = []
        with _job_write():
            for page in self._job_pages(job_id, ConsistentRead=True):
                for item in page.get("Items", []):
                    if item["sk"] == JOB_SK:
                        main = item
                    elif (field := _FIELD_OF.get(item["sk"][:4])) is not None:
                        entries.append((field, item["sk"][4:], _from_dynamo(item["entry"])))
        if main is None:
            return None
        legacy = _legacy_entries(main)
        entries = dedupe_entries([*legacy, *entries])
        return assemble_job(_job_doc(main), entries, _dead_of(main, legacy))

    def job_summary(self, job_id: str) -> dict[str, Any] | None:
        with _job_write():
            main = self.table.get_item(Key=_job_key(job_id), ConsistentRead=True).get("Item")
        if main is None:
            return None
        return summarize_job(_job_doc(main), _dead_of(main, _legacy_entries(main)))

    def _job_ttl(self, job_id: str) -> int:
        """The job's ttl, which its entries share; JobNotFound when there is no job."""
        if job_id in self._ttls:
            return self._ttls[job_id]
        with _job_write():
            item = self.table.get_item(Key=_job_key(job_id), ConsistentRead=True,
                                       ProjectionExpression="#ttl",
                                       ExpressionAttributeNames={"#ttl": "ttl"}).get("Item")
        if item is None:
            raise JobNotFound(f"no job {job_id!r}")
        ttl = int(item.get("ttl") or time.time() + JOB_TTL_S)
        self._remember_ttl(job_id, ttl)
        return ttl

    def _remember_ttl(self, job_id: str, ttl: int) -> None:
        if len(self._ttls) >= _TTL_CACHE:
            self._ttls.clear()
        self._ttls[job_id] = ttl

    def _job_pages(self, job_id: str, **extra: Any) -> Iterator[dict[str, Any]]:
        yield from self._pages(self.table.query,
                               KeyConditionExpression=Key("pk").eq(_job_pk(job_id)), **extra)

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


@contextmanager
def _job_write() -> Iterator[None]:
    """Job records are the workflow's bookkeeping: any refusal by DynamoDB is reported as the
    catalog being unavailable (a retryable 503), never as an unexplained 500."""
    try:
        with _aws():
            yield
    except ClientError as exc:
        if _code(exc) == "ConditionalCheckFailedException":
            raise  # _update turns it into _ConditionFailed for its caller
        raise ServiceUnavailable(
            f"the catalog refused a job record write ({_code(exc)}); try again") from exc


def _job_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def _job_key(job_id: str) -> dict[str, str]:
    return {"pk": _job_pk(job_id), "sk": JOB_SK}


def _entry_item(pk: str, field: str, key: str, entry: dict[str, Any], ttl: int) -> dict[str, Any]:
    return {"pk": pk, "sk": ENTRY_PREFIX[field] + key, "entry": _to_dynamo(entry), "ttl": ttl}


def _job_doc(main: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = _from_dynamo({k: v for k, v in main.items()
                                        if k not in _JOB_RESERVED and k not in JOB_OWN})
    return doc


def _legacy_entries(main: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Entries kept inside a job item written before entries had items of their own."""
    return dedupe_entries(
        (name, legacy_entry_key(i, e), e)
        for name in JOB_LISTS for i, e in enumerate(_from_dynamo(main.get(name) or []))
        if isinstance(e, dict))


def _dead_of(main: dict[str, Any], legacy: list[tuple[str, str, dict[str, Any]]]) -> set[str]:
    return {str(uri) for uri in main.get(DEAD) or ()} | dead_endpoints(legacy)


def _check_job_fields(fields: dict[str, Any]) -> None:
    clash = [k for k in fields if k in _JOB_RESERVED or not isinstance(k, str) or not k]
    if clash:
        raise InvalidRequest(f"job fields {clash} are reserved by the catalog")


def _to_dynamo(value: Any) -> Any:
    """Python (JSON-like) values as boto3 takes them: floats become Decimals."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
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
