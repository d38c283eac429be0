"""The JobStore port on the catalog table: job items, job entry items and work items (the
package's docstring describes them). A job's work follows rules/scheduling.py: a change reads
the units, decides with the policy and writes under a condition — the unit's version, or the
policy's own test written as a condition expression where no read comes first (the claim
counter's fast path, a completion, a take-over). A claim first weighs the RUNNING jobs of
higher priority (their ``PRIORITY`` items, then each one's item and, when needed, units)."""
from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from ...errors import InvalidRequest, JobNotFound, ServiceUnavailable
from ...rules import scheduling
from ...rules.cursors import BAD_CURSOR, decode_cursor, encode_cursor
from ...rules.scheduling import DONE, OPEN, RUNNER_KEEP_SECONDS, RUNNING, Unit
from .. import (
    Claim,
    ImageEntry,
    Job,
    JobEntry,
    JobFields,
    JobPage,
    Released,
    UnitView,
    WorkItem,
)
from .._jobs import (
    DEAD,
    JOB_LISTS,
    JOB_OWN,
    WORK_COUNT,
    Clock,
    Entry,
    assemble_job,
    check_job_entry,
    check_list,
    check_work_items,
    dead_endpoints,
    job_fields,
    new_job_doc,
    new_token,
    now_ms,
    rival,
    summarize_job,
    unit_view,
    with_counts,
)
from .codec import from_dynamo, to_dynamo
from .table import GARDEN_INDEX, JOB_SK, ConditionFailed, OnTable, aws, code, job_key, job_pk

JOB_TTL_S = 30 * 24 * 3600
ENTRY_PREFIX = {"images": "IMG#", "errors": "ERR#", "retried": "RTY#"}
_FIELD_OF = {prefix: field for field, prefix in ENTRY_PREFIX.items()}
WORK_PREFIX = "WORK#"      # sorts after every entry prefix and the job item's "JOB"
JOBS_PARTITION = "JOBS"    # the job items' partition in the garden index: the job list
NEXT = "nextWork"          # the claim counter: units below it have been handed out once
_JOB_RESERVED = ("pk", "sk", "ttl", "gpk", "rank", NEXT)
_WORK_CLAIMS = 10_000      # attempts of one claim before giving up (each one a lost race)
_TTL_CACHE = 1024  # jobs whose ttl an adapter remembers (a ttl never changes)
RUNNER_PREFIX, RUNNER_SK = "RUNNER#", "RUNNER"
ALLOWANCE_PREFIX, ALLOWANCE_SK = "ALLOW#", "ALLOW"
PRIORITY_PK = "PRIORITY"   # one item per RUNNING job above BULK_DEFAULT: what a claim weighs


class DynamoJobStore(OnTable):
    """The JobStore port on the catalog table (a boto3 ``Table`` resource). ``clock`` (epoch
    seconds) times leases and heartbeats."""

    def __init__(self, table: Any, clock: Clock = time.time) -> None:
        super().__init__(table)
        self._ttls: dict[str, int] = {}
        self._clock = clock

    def create_job(self, job: Job) -> None:
        doc, entries = new_job_doc(job)
        _check_job_fields(doc)
        pk = job_pk(doc["jobId"])
        ttl = int(time.time()) + JOB_TTL_S
        item = {**to_dynamo(doc), "pk": pk, "sk": JOB_SK, "ttl": ttl, "gpk": JOBS_PARTITION,
                "rank": _created_ms(doc)}
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
        if scheduling.priority_of(doc) > scheduling.BULK_DEFAULT:
            self._rank(doc["jobId"], doc)

    def append_job_entry(self, job_id: str, field: str, entry: JobEntry) -> None:
        key = check_job_entry(field, entry)
        item = _entry_item(job_pk(job_id), field, key, entry, self._job_ttl(job_id))
        if (dead := scheduling.dead_endpoint(field, entry)) is not None:
            # the mark goes first so that once the entry is visible, so is the mark (a failure
            # in between is retried by the workflow, and both writes are idempotent)
            self._mark_dead(job_id, dead)
        with _job_write():
            self.table.put_item(Item=item)

    def update_job(self, job_id: str, fields: JobFields, *,
                   if_status: str | None = None) -> bool:
        fields = job_fields(fields)
        _check_job_fields(fields)
        if not fields:
            summary = self.job_summary(job_id)
            if summary is None:
                raise JobNotFound(f"no job {job_id!r}")
            return if_status is None or summary.get("status") == if_status
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": to_dynamo(value) for i, value in enumerate(fields.values())}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        condition = "attribute_exists(pk)"
        if if_status is not None:
            names["#status"], values[":status"] = "status", if_status
            condition += " AND #status = :status"
        try:
            with _job_write():
                self._update(job_key(job_id), expression, condition, names, values)
        except ConditionFailed:
            if if_status is not None and self.job_summary(job_id) is not None:
                return False
            raise JobNotFound(f"no job {job_id!r}") from None
        if "priority" in fields or "status" in fields:
            self._rank(job_id, self.job_summary(job_id) or {"jobId": job_id})
        return True

    def _rank(self, job_id: str, doc: Job) -> None:
        """Keep the job's priority item: there while the job is RUNNING above BULK_DEFAULT,
        gone otherwise. A hint a claim reads (the job's own item says whether it still runs);
        one left by a race ends with the job's ttl."""
        key = {"pk": PRIORITY_PK, "sk": job_pk(job_id)}
        priority = scheduling.priority_of(doc)
        with _job_write():
            if doc.get("status") == RUNNING and priority > scheduling.BULK_DEFAULT:
                self.table.put_item(Item={**key, "jobId": job_id, "priority": priority,
                                          "ttl": self._job_ttl(job_id)})
            else:
                self.table.delete_item(Key=key)

    def outranked(self, job_id: str, uri: str) -> bool:
        """The priority items (one Query), then each higher job's item and — when every unit
        was handed out once — its units, weighed by the policy."""
        with _job_write():
            ranks = {str(item["jobId"]): int(item["priority"])
                     for page in self._pages(self.table.query, ConsistentRead=True,
                                             KeyConditionExpression=Key("pk").eq(PRIORITY_PK))
                     for item in page.get("Items", [])}
        mine, now = ranks.get(job_id, scheduling.BULK_DEFAULT), now_ms(self._clock)
        if not any(other != job_id and priority > mine for other, priority in ranks.items()):
            return False
        with _job_write():   # a job that takes no claims from uri yields to nobody
            own = self.table.get_item(Key=job_key(job_id), ConsistentRead=True).get("Item")
        if own is None or not scheduling.takes_claims(own.get("status"), own.get(DEAD) or (),
                                                      uri, own.get("paused")):
            return False
        rivals = []
        for other, priority in ranks.items():
            if other == job_id or priority <= mine:
                continue
            with _job_write():
                main = self.table.get_item(Key=job_key(other), ConsistentRead=True).get("Item")
            if main is None:
                continue
            if int(main.get(NEXT, 0)) < int(main.get(WORK_COUNT, 0)):
                units: tuple[Unit, ...] = (Unit(int(main[NEXT])),)   # never handed out: open
            else:
                first = scheduling.pick((unit for unit, _ in self._units(other)), uri, now)
                units = () if first is None else (first,)
            rivals.append(rival(summarize_job(_job_doc(main), _dead_of(main)), units))
        return scheduling.outranked(mine, uri, rivals, now)

    def get_job(self, job_id: str) -> Job | None:
        main: dict[str, Any] | None = None
        entries: list[Entry] = []
        with _job_write():
            for page in self._job_pages(job_id, ConsistentRead=True, entries_only=True):
                for item in page.get("Items", []):
                    if item["sk"] == JOB_SK:
                        main = item
                    elif (field := _FIELD_OF.get(item["sk"][:4])) is not None:
                        entries.append((field, item["sk"][4:],
                                        cast(JobEntry, from_dynamo(item["entry"]))))
        if main is None:
            return None
        return assemble_job(_job_doc(main), entries, _dead_of(main))

    def job_summary(self, job_id: str) -> Job | None:
        with _job_write():
            main = self.table.get_item(Key=job_key(job_id), ConsistentRead=True).get("Item")
        if main is None:
            return None
        return summarize_job(_job_doc(main), _dead_of(main))

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

    def _job_pages(self, job_id: str, entries_only: bool = False,
                   **extra: Any) -> Iterator[dict[str, Any]]:
        """The job's items: all of them, or (entries_only) the job item and its entries,
        leaving out its work items."""
        condition = Key("pk").eq(job_pk(job_id))
        if entries_only:
            condition = condition & Key("sk").lt(WORK_PREFIX)
        yield from self._pages(self.table.query, KeyConditionExpression=condition, **extra)

    # --- the job list -------------------------------------------------------------------------
    def list_jobs(self, kind: str | None = None, status: str | None = None, limit: int = 20,
                  cursor: str | None = None) -> JobPage:
        check_list(kind, status, limit)
        args: dict[str, Any] = {"IndexName": GARDEN_INDEX, "ScanIndexForward": False,
                                "KeyConditionExpression": Key("gpk").eq(JOBS_PARTITION),
                                "Limit": max(limit + 1, 25)}
        condition = None
        if kind is not None:
            condition = Attr("kind").eq(kind)
            if kind == "text2image":   # a job without a kind predates bulk jobs
                condition = condition | Attr("kind").not_exists()
        if status is not None:
            by_status = Attr("status").eq(status)
            condition = by_status if condition is None else condition & by_status
        if condition is not None:
            args["FilterExpression"] = condition
        if cursor is not None:
            args["ExclusiveStartKey"] = _list_start(cursor)
        found: list[dict[str, Any]] = []
        more = False
        with _job_write():
            for page in self._pages(self.table.query, **args):
                found += page.get("Items", [])
                if len(found) > limit:
                    more = True
                    break
        found = found[:limit]
        jobs = [with_counts(summarize_job(_job_doc(main), _dead_of(main)),
                            self._counts(main["jobId"])) for main in found]
        next_cursor = None
        if more and found:
            last = found[-1]
            next_cursor = encode_cursor({"jobsAfter": {"pk": last["pk"], "sk": last["sk"],
                                                       "rank": int(last["rank"])}})
        return JobPage(jobs, next_cursor)

    def _counts(self, job_id: str) -> dict[str, int]:
        counts = dict.fromkeys(JOB_LISTS, 0)
        for page in self._job_pages(job_id, entries_only=True, ProjectionExpression="sk"):
            for item in page.get("Items", []):
                if (field := _FIELD_OF.get(item["sk"][:4])) is not None:
                    counts[field] += 1
        return counts

    # --- work -----------------------------------------------------------------------------------
    def add_work(self, job_id: str, items: Sequence[WorkItem]) -> None:
        checked = check_work_items(items)
        pk, ttl = job_pk(job_id), self._job_ttl(job_id)
        units = {n: item for (n, _), item in zip(checked, items, strict=True)}
        summary = self.job_summary(job_id)
        with _job_write():
            if summary is None or WORK_COUNT not in summary:
                with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
                    for n, item in units.items():
                        batch.put_item(Item=_work_item(pk, n, item, ttl))
                added = len(units)
            else:   # a retried or resumed Plan: only units the job lacks are added
                added = int(summary[WORK_COUNT])
                for n, item in units.items():
                    try:
                        self.table.put_item(Item=_work_item(pk, n, item, ttl),
                                            ConditionExpression="attribute_not_exists(pk)")
                        added += 1
                    except ClientError as exc:
                        if code(exc) != "ConditionalCheckFailedException":
                            raise
            self._update(job_key(job_id), "SET #count = :count, #next = if_not_exists(#next, :zero)",
                         "attribute_exists(pk)", {"#count": WORK_COUNT, "#next": NEXT},
                         {":count": added, ":zero": 0})

    def claim_work(self, job_id: str, worker: str, uri: str, lease_seconds: float) -> Claim | None:
        if self.outranked(job_id, uri):
            return None
        for _ in range(_WORK_CLAIMS):
            try:   # the fast path: the counter hands out each unit once, in order, under the
                # condition scheduling.takes_claims sets (RUNNING, the endpoint not dead)
                with _job_write():
                    job = self._update(
                        job_key(job_id), "ADD #next :one",
                        "#status = :running AND #next < #count AND NOT contains(#dead, :uri) "
                        "AND (attribute_not_exists(#paused) OR #paused = :no)",
                        {"#next": NEXT, "#status": "status", "#count": WORK_COUNT, "#dead": DEAD,
                         "#paused": "paused"},
                        {":one": 1, ":running": RUNNING, ":uri": uri, ":no": False},
                        returns="ALL_NEW")
            except ConditionFailed:
                return self._claim_again(job_id, worker, uri, lease_seconds)
            assert job is not None
            # a unit never handed out is open and tried by none: claimable if still open
            claim = self._lease(job, Unit(int(job[NEXT]) - 1), worker, lease_seconds,
                                "#state = :open", {":open": OPEN},
                                left=int(job[WORK_COUNT]) - int(job[NEXT]))
            if claim is not None:
                return claim
        raise ServiceUnavailable("too many workers racing for this job's images; try again")

    def _claim_again(self, job_id: str, worker: str, uri: str,
                     lease_seconds: float) -> Claim | None:
        """Every unit was handed out once: look for one released or whose lease ran out."""
        with _job_write():
            job = self.table.get_item(Key=job_key(job_id), ConsistentRead=True).get("Item")
        if job is None or not scheduling.takes_claims(job.get("status"), job.get(DEAD) or (), uri,
                                                      job.get("paused")):
            return None
        units = self._units(job_id)
        now = now_ms(self._clock)
        for unit, ver in units:
            if not scheduling.claimable(unit, uri, now):
                continue
            # left: the open units besides this one (which may be an expired lease)
            left = scheduling.open_left(other for other, _ in units if other is not unit)
            claim = self._lease(job, unit, worker, lease_seconds, "#ver = :ver", {":ver": ver},
                                left=left)
            if claim is not None:
                return claim
        return None

    def _lease(self, job: dict[str, Any], unit: Unit, worker: str, lease_seconds: float,
               condition: str, values: dict[str, Any], left: int) -> Claim | None:
        token = new_token()
        leased = scheduling.lease(unit, worker, token, lease_seconds, now_ms(self._clock))
        try:
            with _job_write():
                item = self._update(
                    _work_key(job["jobId"], unit.n),
                    "SET #state = :leased, #worker = :worker, #token = :token, #until = :until "
                    "ADD #ver :one", f"attribute_exists(pk) AND {condition}",
                    {"#state": "state", "#worker": "worker", "#token": "token", "#until": "until",
                     "#ver": "ver"},
                    {":leased": leased.state, ":worker": worker, ":token": token,
                     ":until": leased.until, ":one": 1, **values}, returns="ALL_NEW")
        except ConditionFailed:
            return None
        assert item is not None
        return Claim(unit.n, cast(WorkItem, from_dynamo(item["item"])), token,
                     summarize_job(_job_doc(job), _dead_of(job)), left)

    def complete_work(self, job_id: str, n: int, token: str, image: ImageEntry) -> bool:
        key = check_job_entry("images", image)
        try:
            item = _entry_item(job_pk(job_id), "images", key, image, self._job_ttl(job_id))
        except JobNotFound:
            return False
        # one transaction: the unit is done exactly when its image is recorded, under the
        # condition scheduling.completes sets (not done yet: the first completion counts)
        try:
            with aws():
                self._client.transact_write_items(TransactItems=[
                    {"Update": {
                        "TableName": self.table.name, "Key": _work_key(job_id, n),
                        "UpdateExpression": "SET #state = :done, #token = :token "
                                            "REMOVE #worker ADD #ver :one",
                        "ConditionExpression": "attribute_exists(pk) AND #state <> :done",
                        "ExpressionAttributeNames": {"#state": "state", "#token": "token",
                                                     "#worker": "worker", "#ver": "ver"},
                        "ExpressionAttributeValues": {":done": DONE, ":token": token,
                                                      ":one": 1}}},
                    {"Put": {"TableName": self.table.name, "Item": item}},
                ])
        except ClientError as exc:
            if code(exc) == "TransactionCanceledException":
                with _job_write():
                    unit = self.table.get_item(Key=_work_key(job_id, n), ConsistentRead=True,
                                               ProjectionExpression="#state",
                                               ExpressionAttributeNames={"#state": "state"})
                if unit.get("Item", {"state": DONE})["state"] == DONE:
                    return False      # made by someone else, or no such unit
            raise ServiceUnavailable(f"the catalog refused a job record write ({code(exc)}); "
                                     "try again") from exc
        return True

    def release_work(self, job_id: str, *, worker: str | None = None,
                     out: str | None = None) -> list[Released]:
        if out is not None:
            self._mark_dead(job_id, out)
        with _job_write():
            job = self.table.get_item(Key=job_key(job_id), ConsistentRead=True).get("Item")
        if job is None:
            raise JobNotFound(f"no job {job_id!r}")
        dead = scheduling.out_of_job(_dead_of(job), out)
        released = []
        for unit, ver in self._units(job_id):
            if not scheduling.held(unit, worker):
                continue
            given = scheduling.release(unit, out=out, dead=dead,
                                       endpoints=from_dynamo(job.get("endpoints")) or ())
            expression = "SET #state = :state, #until = :until REMOVE #worker ADD #ver :one"
            values: dict[str, Any] = {":state": given.state, ":until": given.until, ":one": 1,
                                      ":ver": ver}
            if out is not None:   # a string set cannot be empty: the one added, added
                expression += ", #tried :out"
                values[":out"] = {out}
            try:
                with _job_write():
                    self._update(_work_key(job_id, unit.n), expression, "#ver = :ver",
                                 {"#state": "state", "#until": "until", "#worker": "worker",
                                  "#ver": "ver", **({"#tried": "triedBy"} if out else {})}, values)
            except ConditionFailed:
                continue   # completed or released meanwhile: not this call's to release
            released.append(Released(unit.n, given.state == OPEN))
        return released

    def _mark_dead(self, job_id: str, uri: str) -> None:
        """``uri`` joins the job's dead endpoints (ADD to a string set: atomic on its own)."""
        try:
            with _job_write():
                self._update(job_key(job_id), "ADD #dead :dead", "attribute_exists(pk)",
                             {"#dead": DEAD}, {":dead": {uri}})
        except ConditionFailed:
            raise JobNotFound(f"no job {job_id!r}") from None

    # --- runners -------------------------------------------------------------------------------
    def spend(self, allowance: str, limit: int, keep_seconds: int) -> bool:
        # one conditional ADD: the first count creates the item with its ttl; a count at the
        # limit fails the condition and writes nothing. (An allowance's name carries its
        # period — a day, a visit — so an item past its ttl that DynamoDB has not deleted yet
        # is never asked again.)
        if limit < 1:
            return False
        now = now_ms(self._clock) // 1000
        key = {"pk": ALLOWANCE_PREFIX + allowance, "sk": ALLOWANCE_SK}
        try:
            with _job_write():
                self._update(key, "SET #ttl = if_not_exists(#ttl, :ttl) ADD #spent :one",
                             "attribute_not_exists(pk) OR #spent < :limit",
                             {"#ttl": "ttl", "#spent": "spent"},
                             {":ttl": now + keep_seconds, ":one": 1, ":limit": limit})
        except ConditionFailed:
            return False
        return True

    def beat(self, runner: str) -> None:
        now = now_ms(self._clock)
        with _job_write():
            self.table.put_item(Item={"pk": RUNNER_PREFIX + runner, "sk": RUNNER_SK,
                                      "runner": runner, "beat_ms": now,
                                      "ttl": now // 1000 + RUNNER_KEEP_SECONDS})

    def beat_age(self, runner: str) -> float | None:
        with _job_write():
            item = self.table.get_item(Key={"pk": RUNNER_PREFIX + runner, "sk": RUNNER_SK},
                                       ConsistentRead=True).get("Item")
        if item is None:
            return None
        return scheduling.beat_age(int(item["beat_ms"]), now_ms(self._clock))

    def take_over(self, job_id: str, runner: str, by: str) -> bool:
        try:   # scheduling.may_take_over as a condition
            with _job_write():
                self._update(job_key(job_id), "SET #runner = :by",
                             "attribute_exists(pk) AND #status = :running AND #runner = :runner",
                             {"#runner": "runner", "#status": "status"},
                             {":by": by, ":running": RUNNING, ":runner": runner})
        except ConditionFailed:
            return False
        return True

    def work(self, job_id: str) -> list[UnitView]:
        return [unit_view(unit) for unit, _ in self._units(job_id)]

    def _units(self, job_id: str) -> list[tuple[Unit, int]]:
        """The job's units with their versions (a write's condition), by n."""
        units = []
        with _job_write():
            for page in self._pages(
                    self.table.query, ConsistentRead=True,
                    KeyConditionExpression=Key("pk").eq(job_pk(job_id))
                    & Key("sk").begins_with(WORK_PREFIX),
                    ProjectionExpression="n, #state, #worker, #token, #until, triedBy, ver",
                    ExpressionAttributeNames={"#state": "state", "#worker": "worker",
                                              "#token": "token", "#until": "until"}):
                units += [(Unit(int(u["n"]), u["state"], u.get("worker"), u.get("token"),
                                int(u.get("until", 0)), frozenset(u.get("triedBy") or ())),
                           int(u.get("ver", 0))) for u in page.get("Items", [])]
        return sorted(units, key=lambda pair: pair[0].n)


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


def _work_key(job_id: str, n: int) -> dict[str, str]:
    return {"pk": job_pk(job_id), "sk": f"{WORK_PREFIX}{n:06d}"}


def _work_item(pk: str, n: int, item: WorkItem, ttl: int) -> dict[str, Any]:
    return {"pk": pk, "sk": f"{WORK_PREFIX}{n:06d}", "n": n, "item": to_dynamo(item),
            "state": OPEN, "until": 0, "ver": 0, "ttl": ttl}


def _created_ms(doc: Job) -> int:
    """The job list's order: the job's createdAt in epoch ms (now when it has none)."""
    try:
        return int(datetime.fromisoformat(str(doc["createdAt"])).timestamp() * 1000)
    except (KeyError, ValueError):
        return int(time.time() * 1000)


def _list_start(cursor: str) -> dict[str, Any]:
    data = decode_cursor(cursor)
    start = data.get("jobsAfter")
    if set(data) != {"jobsAfter"} or not isinstance(start, dict) \
            or set(start) != {"pk", "sk", "rank"} or not isinstance(start["rank"], int) \
            or not isinstance(start["pk"], str) or not start["pk"].startswith("JOB#") \
            or start["sk"] != JOB_SK:
        raise InvalidRequest(BAD_CURSOR)
    return {**start, "gpk": JOBS_PARTITION}


def _entry_item(pk: str, field: str, key: str, entry: JobEntry, ttl: int) -> dict[str, Any]:
    return {"pk": pk, "sk": ENTRY_PREFIX[field] + key, "entry": to_dynamo(entry), "ttl": ttl}


def _job_doc(main: dict[str, Any]) -> Job:
    """The job's document from its item (the item's own attributes left out)."""
    return cast(Job, from_dynamo({k: v for k, v in main.items()
                                  if k not in _JOB_RESERVED and k not in JOB_OWN}))


def _dead_of(main: dict[str, Any]) -> set[str]:
    return {str(uri) for uri in main.get(DEAD) or ()}


def _check_job_fields(fields: Mapping[str, object]) -> None:
    clash = [k for k in fields if k in _JOB_RESERVED or not isinstance(k, str) or not k]
    if clash:
        raise InvalidRequest(f"job fields {clash} are reserved by the catalog")
