"""The JobStore port on the catalog table: job items and job entry items (the package's
docstring describes them)."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from ...errors import InvalidRequest, JobNotFound, ServiceUnavailable
from .._jobs import (
    DEAD,
    JOB_LISTS,
    JOB_OWN,
    Entry,
    assemble_job,
    check_job_entry,
    dead_endpoint,
    dead_endpoints,
    dedupe_entries,
    job_fields,
    legacy_entries,
    new_job_doc,
    summarize_job,
)
from .codec import from_dynamo, to_dynamo
from .table import JOB_SK, ConditionFailed, OnTable, aws, code, job_key, job_pk

JOB_TTL_S = 30 * 24 * 3600
ENTRY_PREFIX = {"images": "IMG#", "errors": "ERR#"}
_FIELD_OF = {prefix: field for field, prefix in ENTRY_PREFIX.items()}
_JOB_RESERVED = ("pk", "sk", "ttl")
_TTL_CACHE = 1024  # jobs whose ttl an adapter remembers (a ttl never changes)


class DynamoJobStore(OnTable):
    """The JobStore port on the catalog table (a boto3 ``Table`` resource)."""

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self._ttls: dict[str, int] = {}

    def create_job(self, job: dict[str, Any]) -> None:
        doc, entries = new_job_doc(job)
        _check_job_fields(doc)
        pk = job_pk(doc["jobId"])
        ttl = int(time.time()) + JOB_TTL_S
        item = {**to_dynamo(doc), "pk": pk, "sk": JOB_SK, "ttl": ttl}
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
        item = _entry_item(job_pk(job_id), field, key, entry, self._job_ttl(job_id))
        dead = dead_endpoint(field, entry)
        if dead is not None:
            # ADD to a string set is atomic on its own; it goes first so that once the entry
            # is visible, so is the mark (a failure in between is retried by the workflow,
            # and both writes are idempotent).
            try:
                with _job_write():
                    self._update(job_key(job_id), "ADD #dead :dead", "attribute_exists(pk)",
                                 {"#dead": DEAD}, {":dead": {dead}})
            except ConditionFailed:
                raise JobNotFound(f"no job {job_id!r}") from None
        with _job_write():
            self.table.put_item(Item=item)

    def update_job(self, job_id: str, fields: dict[str, Any]) -> None:
        fields = job_fields(fields)
        _check_job_fields(fields)
        if not fields:
            if self.job_summary(job_id) is None:
                raise JobNotFound(f"no job {job_id!r}")
            return
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": to_dynamo(value) for i, value in enumerate(fields.values())}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        try:
            with _job_write():
                self._update(job_key(job_id), expression, "attribute_exists(pk)", names, values)
        except ConditionFailed:
            raise JobNotFound(f"no job {job_id!r}") from None

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        main: dict[str, Any] | None = None
        entries: list[Entry] = []
        with _job_write():
            for page in self._job_pages(job_id, ConsistentRead=True):
                for item in page.get("Items", []):
                    if item["sk"] == JOB_SK:
                        main = item
                    elif (field := _FIELD_OF.get(item["sk"][:4])) is not None:
                        entries.append((field, item["sk"][4:], from_dynamo(item["entry"])))
        if main is None:
            return None
        legacy = _legacy_entries(main)
        entries = dedupe_entries([*legacy, *entries])
        return assemble_job(_job_doc(main), entries, _dead_of(main, legacy))

    def job_summary(self, job_id: str) -> dict[str, Any] | None:
        with _job_write():
            main = self.table.get_item(Key=job_key(job_id), ConsistentRead=True).get("Item")
        if main is None:
            return None
        return summarize_job(_job_doc(main), _dead_of(main, _legacy_entries(main)))

    def _job_ttl(self, job_id: str) -> int:
        """The job's ttl, which its entries share; JobNotFound when there is no job."""
        if job_id in self._ttls:
            return self._ttls[job_id]
        with _job_write():
            item = self.table.get_item(Key=job_key(job_id), ConsistentRead=True,
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
                               KeyConditionExpression=Key("pk").eq(job_pk(job_id)), **extra)


@contextmanager
def _job_write() -> Iterator[None]:
    """Job records are the workflow's bookkeeping: any refusal by DynamoDB is reported as the
    catalog being unavailable (a retryable 503), never as an unexplained 500."""
    try:
        with aws():
            yield
    except ClientError as exc:
        if code(exc) == "ConditionalCheckFailedException":
            raise  # _update turns it into ConditionFailed for its caller
        raise ServiceUnavailable(
            f"the catalog refused a job record write ({code(exc)}); try again") from exc


def _entry_item(pk: str, field: str, key: str, entry: dict[str, Any], ttl: int) -> dict[str, Any]:
    return {"pk": pk, "sk": ENTRY_PREFIX[field] + key, "entry": to_dynamo(entry), "ttl": ttl}


def _job_doc(main: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = from_dynamo({k: v for k, v in main.items()
                                       if k not in _JOB_RESERVED and k not in JOB_OWN})
    return doc


def _legacy_entries(main: dict[str, Any]) -> list[Entry]:
    """Entries kept inside a job item written before entries had items of their own."""
    return legacy_entries({name: from_dynamo(main.get(name)) for name in JOB_LISTS})


def _dead_of(main: dict[str, Any], legacy: list[Entry]) -> set[str]:
    return {str(uri) for uri in main.get(DEAD) or ()} | dead_endpoints(legacy)


def _check_job_fields(fields: dict[str, Any]) -> None:
    clash = [k for k in fields if k in _JOB_RESERVED or not isinstance(k, str) or not k]
    if clash:
        raise InvalidRequest(f"job fields {clash} are reserved by the catalog")
