"""What AWS would bill, counted while the app runs under moto: DynamoDB request units by
AWS's sizing rules (index copies included), S3 requests by price class, other services'
calls, each task's in-process time and AWS calls, and an execution's state transitions.

moto answers every mocked request through ``BotocoreStubber.process_request``; ``Meter``
wraps it, so every boto3 client and resource of the process is counted however it was
made. For DynamoDB it reads the items a request touches from moto's own tables before and
after the request (moto's ``ConsumedCapacity`` is a constant, not a measure) and applies
the rules of the DynamoDB developer guide:

- an item's size: each attribute's name (UTF-8 bytes) plus its value — a string its UTF-8
  bytes, a number about one byte per two significant digits plus one, binary its bytes,
  BOOL/NULL one byte, a list or map 3 bytes plus each element's size plus one byte per
  element (a map's element: its name and value), a set the sum of its elements;
- a write: one WRU per 1 KB of the larger of the item before and after (at least one), a
  delete the item's size, a failed conditional write as much as the item it checked;
  TransactWriteItems twice that per item (a ConditionCheck as a write);
- a global secondary index (projection ALL here): a write that puts an item into the index
  costs the index entry's size (item + 100 bytes), one that takes it out a delete, one that
  changes the index key a delete and a put, one that changes other attributes an update;
  an unchanged item writes nothing to the index;
- a read: one RRU per 4 KB (at least one) for a strongly consistent read, half that for an
  eventually consistent one (a GSI is always eventual); TransactGetItems twice; a Query
  or Scan sums the sizes of every item it evaluated — before its filter and projection — and
  rounds the sum up to 4 KB per request.

Step Functions bills one transition per state entered (retries count again): ``transitions``
counts the ``…StateEntered`` events of an execution's history plus every task scheduled
again by a retry.
"""
from __future__ import annotations

import base64
import contextlib
import inspect
import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

WRITE_UNIT, READ_UNIT, INDEX_ENTRY_OVERHEAD = 1024, 4096, 100

_local = threading.local()


# --- item sizes -------------------------------------------------------------------------------
def number_size(text: str) -> int:
    mantissa = text.lstrip("+-").lower().split("e")[0].replace(".", "")
    significant = mantissa.strip("0") or "0"
    return (len(significant) + 1) // 2 + 1


def _binary_size(value: Any) -> int:
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    return len(base64.b64decode(value))


def value_size(value: Mapping[str, Any]) -> int:
    """The size of one attribute value in DynamoDB's wire form (``{"S": "…"}``…)."""
    [(kind, x)] = value.items()
    if kind == "S":
        return len(str(x).encode())
    if kind == "N":
        return number_size(str(x))
    if kind == "B":
        return _binary_size(x)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in x)
    if kind == "NS":
        return sum(number_size(str(n)) for n in x)
    if kind == "BS":
        return sum(_binary_size(b) for b in x)
    if kind == "L":
        return 3 + sum(value_size(e) + 1 for e in x)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(e) + 1 for k, e in x.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Mapping[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT))


def read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / READ_UNIT)) * (1.0 if consistent else 0.5)


# --- what one request cost ----------------------------------------------------------------------
@dataclass
class Usage:
    """Counts of billable things; adding two gives their sum."""

    wru: float = 0.0              # DynamoDB write request units (table)
    index_wru: float = 0.0        # ... of which to global secondary indexes
    rru: float = 0.0
    dynamodb_calls: Counter[str] = field(default_factory=Counter)
    s3: Counter[str] = field(default_factory=Counter)      # PUT / GET / LIST / DELETE
    calls: Counter[str] = field(default_factory=Counter)   # other services: "sns.Publish"…

    def add(self, other: Usage) -> None:
        self.wru += other.wru
        self.index_wru += other.index_wru
        self.rru += other.rru
        self.dynamodb_calls.update(other.dynamodb_calls)
        self.s3.update(other.s3)
        self.calls.update(other.calls)

    def copy(self) -> Usage:
        out = Usage()
        out.add(self)
        return out

    def minus(self, earlier: Usage) -> Usage:
        out = self.copy()
        out.wru -= earlier.wru
        out.index_wru -= earlier.index_wru
        out.rru -= earlier.rru
        out.dynamodb_calls.subtract(earlier.dynamodb_calls)
        out.s3.subtract(earlier.s3)
        out.calls.subtract(earlier.calls)
        return out


@dataclass
class TaskRun:
    function: str
    cpu_seconds: float            # the task's own thread's CPU time (moto's emulation included)
    aws_calls: Counter[str]       # "dynamodb" / "s3" / other service: calls made during it
    wall_seconds: float = 0.0     # start to return, on this machine


class Meter:
    """Counts every request moto answers while installed (``with meter.installed():``), and
    the task runs that ``timed`` wraps."""

    def __init__(self, account: str, region: str) -> None:
        self.account, self.region = account, region
        self.usage = Usage()
        self.runs: list[TaskRun] = []
        self._lock = threading.Lock()

    # --- install --------------------------------------------------------------------------
    @contextlib.contextmanager
    def installed(self) -> Iterator[Meter]:
        """Wrap moto's request handling (install this before ``serialized_moto``, so that a
        request and the reads around it happen under its lock) and its Query/Scan."""
        from moto.core.botocore_stubber import BotocoreStubber
        from moto.dynamodb.models.table import Table
        original = BotocoreStubber.process_request
        query, scan = Table.query, Table.scan
        meter = self

        def process_request(stubber: Any, request: Any) -> Any:
            return meter._request(lambda: original(stubber, request), request)

        BotocoreStubber.process_request = process_request  # type: ignore[method-assign,assignment]
        Table.query = _scanned_sizes(query, "projection_expressions")  # type: ignore[method-assign]
        Table.scan = _scanned_sizes(scan, "projection_expression")  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BotocoreStubber.process_request = original  # type: ignore[method-assign]
            Table.query, Table.scan = query, scan  # type: ignore[method-assign]

    def timed(self, function: str, task: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
        """``task`` as a Lambda run: its thread's CPU time and the AWS calls it made."""
        def run(event: dict[str, Any]) -> Any:
            calls: Counter[str] = Counter()
            outer = getattr(_local, "calls", None)
            _local.calls = calls
            started, wall = time.thread_time(), time.perf_counter()
            try:
                return task(event)
            finally:
                seconds = time.thread_time() - started
                _local.calls = outer
                with self._lock:
                    self.runs.append(TaskRun(function, seconds, calls,
                                             time.perf_counter() - wall))
        return run

    def snapshot(self) -> tuple[Usage, int]:
        with self._lock:
            return self.usage.copy(), len(self.runs)

    def since(self, mark: tuple[Usage, int]) -> tuple[Usage, list[TaskRun]]:
        with self._lock:
            return self.usage.minus(mark[0]), list(self.runs[mark[1]:])

    # --- one request ------------------------------------------------------------------------
    def _request(self, answer: Callable[[], Any], request: Any) -> Any:
        url = urlsplit(str(request.url))
        host = url.hostname or ""
        raw = request.headers.get("X-Amz-Target", "") or ""
        target = raw.decode() if isinstance(raw, bytes) else str(raw)
        calls = getattr(_local, "calls", None)
        if target.startswith("DynamoDB_"):
            operation = target.split(".", 1)[1]
            body = json.loads(request.body or b"{}")
            before = self._items(operation, body)
            response = answer()
            after = self._items(operation, body)
            usage = self._dynamodb(operation, body, before, after, response)
            service = "dynamodb"
        elif host.startswith("s3.") or ".s3." in host or host.startswith("s3-"):
            response = answer()
            usage = Usage()
            usage.s3[_s3_class(request.method, url, host)] += 1
            service = "s3"
        else:
            response = answer()
            service = host.split(".", 1)[0]
            usage = Usage()
            usage.calls[f"{service}.{_action(request, target)}"] += 1
        if calls is not None:
            calls[service] += 1
        with self._lock:
            self.usage.add(usage)
        return response

    def _table(self, name: str) -> Any:
        from moto.dynamodb.models import dynamodb_backends
        return dynamodb_backends[self.account][self.region].get_table(name)

    def _get(self, table_name: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        from moto.dynamodb.models.dynamo_type import DynamoType
        table = self._table(table_name)
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        item = table.get_item(hash_value, range_value)
        return None if item is None else item.to_json()["Attributes"]

    def _keys(self, operation: str, body: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        """(table, kind, key) of every item a request names by key."""
        out: list[tuple[str, str, dict[str, Any]]] = []

        def key_of(table: str, item: Mapping[str, Any]) -> dict[str, Any]:
            t = self._table(table)
            names = [t.hash_key_attr] + ([t.range_key_attr] if t.range_key_attr else [])
            return {n: item[n] for n in names}

        if operation == "PutItem":
            out.append((body["TableName"], "write", key_of(body["TableName"], body["Item"])))
        elif operation in ("UpdateItem", "DeleteItem"):
            out.append((body["TableName"], "write", dict(body["Key"])))
        elif operation == "GetItem":
            kind = "read-consistent" if body.get("ConsistentRead") else "read"
            out.append((body["TableName"], kind, dict(body["Key"])))
        elif operation == "TransactWriteItems":
            for entry in body["TransactItems"]:
                [(verb, spec)] = entry.items()
                key = spec["Item"] if verb == "Put" else spec["Key"]
                out.append((spec["TableName"], "tx-write", key_of(spec["TableName"], key)))
        elif operation == "TransactGetItems":
            for entry in body["TransactItems"]:
                spec = entry["Get"]
                out.append((spec["TableName"], "tx-read", dict(spec["Key"])))
        elif operation == "BatchWriteItem":
            for table, requests in body["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        out.append((table, "write", key_of(table, request["PutRequest"]["Item"])))
                    else:
                        out.append((table, "write", dict(request["DeleteRequest"]["Key"])))
        elif operation == "BatchGetItem":
            for table, spec in body["RequestItems"].items():
                kind = "read-consistent" if spec.get("ConsistentRead") else "read"
                out.extend((table, kind, dict(key)) for key in spec["Keys"])
        return out

    def _items(self, operation: str, body: Mapping[str, Any]) -> list[dict[str, Any] | None]:
        try:
            return [self._get(table, key) for table, _, key in self._keys(operation, body)]
        except Exception:  # noqa: BLE001 - a malformed request: moto answers it with an error
            return []

    def _indexes(self, table_name: str) -> list[tuple[str, ...]]:
        table = self._table(table_name)
        return [tuple(k["AttributeName"] for k in index.schema) for index in table.global_indexes]

    def _dynamodb(self, operation: str, body: Mapping[str, Any], before: list[Any],
                  after: list[Any], response: Any) -> Usage:
        usage = Usage()
        usage.dynamodb_calls[operation] += 1
        ok = int(getattr(response, "status_code", 200)) < 300
        scanned = getattr(_local, "scanned", None)
        _local.scanned = None
        keys = self._keys(operation, body) if len(before) else []
        if operation in ("Query", "Scan"):
            consistent = bool(body.get("ConsistentRead")) and not body.get("IndexName")
            usage.rru += read_units(sum(scanned or []), consistent)
            return usage
        for (table, kind, _), old, new in zip(keys, before, after):
            if kind.startswith("read") or kind == "tx-read":
                units = read_units(item_size(old), kind != "read")
                usage.rru += units * (2 if kind == "tx-read" else 1)
                continue
            factor = 2 if kind == "tx-write" else 1
            if not ok:
                usage.wru += factor * write_units(item_size(old))
                continue
            usage.wru += factor * write_units(max(item_size(old), item_size(new)))
            for names in self._indexes(table):
                was = old is not None and all(n in old for n in names)
                now = new is not None and all(n in new for n in names)
                old_entry = item_size(old) + INDEX_ENTRY_OVERHEAD
                new_entry = item_size(new) + INDEX_ENTRY_OVERHEAD
                units = 0
                if was and now:
                    assert old is not None and new is not None
                    if any(old[n] != new[n] for n in names):
                        units = write_units(old_entry) + write_units(new_entry)
                    elif old != new:
                        units = write_units(max(old_entry, new_entry))
                elif was:
                    units = write_units(old_entry)
                elif now:
                    units = write_units(new_entry)
                usage.wru += units
                usage.index_wru += units
        return usage


def _scanned_sizes(original: Callable[..., Any], projection: str) -> Callable[..., Any]:
    """moto's Table.query/scan, noting the sizes of the items it evaluated (before its filter
    and projection) for the request in flight on this thread."""
    signature = inspect.signature(original)

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        unfiltered = dict(bound.arguments)
        extra = unfiltered.pop("filter_kwargs", None) or unfiltered.pop("kwargs", None) or {}
        unfiltered.pop("self", None)
        unfiltered["filter_expression"] = None
        unfiltered[projection] = None
        results = original(self, **unfiltered, **extra)[0]
        _local.scanned = [item_size(r.to_json()["Attributes"]) for r in results]
        return original(self, *args, **kwargs)
    return wrapped


def _s3_class(method: str, url: Any, host: str) -> str:
    """An S3 request's price class: PUT (PUT, COPY, POST), LIST, GET (GET, HEAD…), DELETE."""
    path = url.path.strip("/")
    virtual = not (host.startswith("s3.") or host.startswith("s3-"))
    has_key = bool(path) if virtual else "/" in path
    method = method.upper()
    if method == "DELETE":
        return "DELETE"
    if method in ("PUT", "POST"):
        return "PUT"
    if not has_key or "list-type" in parse_qs(url.query):
        return "LIST"
    return "GET"


def _action(request: Any, target: str) -> str:
    if target:
        return target.split(".")[-1]
    body = request.body or b""
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
    action = parse_qs(text).get("Action") or parse_qs(urlsplit(str(request.url)).query).get("Action")
    if action:
        return action[0]
    return urlsplit(str(request.url)).path.rsplit("/", 1)[-1] or request.method


# --- state transitions ------------------------------------------------------------------------
def event_type(event: Mapping[str, Any]) -> str:
    kind = event.get("type") or event.get("Type") or ""
    return str(getattr(kind, "value", kind))


def transitions(history: Mapping[str, Any]) -> int:
    """Billed state transitions of one execution's history (``GetExecutionHistory``'s answer):
    every state entered, plus every task scheduled again after a failed attempt (a retry)."""
    events = history.get("events") or []
    kinds = [event_type(e) for e in events]
    entered = sum(1 for k in kinds if k.endswith("StateEntered"))
    tasks_entered = sum(1 for k in kinds if k == "TaskStateEntered")
    scheduled = sum(1 for k in kinds if k in ("LambdaFunctionScheduled", "TaskScheduled"))
    return entered + max(0, scheduled - tasks_entered)
