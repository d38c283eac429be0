"""Backup → an empty data store → restore gives the identical catalog (provenance and likes
included), on the local stack and on the AWS adapters under moto (S3 → SQS notifications
delivered to the same index handler, as S3 → Lambda in AWS). Foreign files, re-runs and
partial restores."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib import backup, indexer
from chalicelib.errors import ServiceUnavailable
from chalicelib.storage.events import next_sequencer
from tests.images import jpeg

SOURCE: dict[str, dict[str, Any]] = {   # key → provenance; spaces, Korean and the original's lower-case emotion folders
    "emotions/HAPPY/rose/img_1h.jpeg": {"prompt": "A flower, rose, happy", "seed": 1, "createdAt": "2026-01-01T10:00:00.000Z"},
    "emotions/HAPPY/img_2v.jpeg": {"prompt": "A flower, happy", "seed": 2, "createdAt": "2026-01-02T10:00:00.000Z"},
    "emotions/SAD/with cat/img_3h.jpeg": {"prompt": "A flower with cat, sad", "seed": 3, "createdAt": "2026-01-03T10:00:00.000Z"},
    "emotions/FEAR/꽃_4h.jpeg": {"prompt": "무서운 꽃", "seed": 4, "createdAt": "2026-01-04T10:00:00.000Z"},
    "emotions/happy/old_5h.jpeg": {"prompt": "from the original", "createdAt": "2023-03-19T13:10:15.000Z"},
    "pool/CALM/lotus/img_6v.jpeg": {"prompt": "A flower, lotus, calm", "seed": 6, "createdAt": "2026-01-06T10:00:00.000Z",
                                    "jobId": "j1", "endpoint": "painter:"},
}
LIKES = [("v1", "emotions/HAPPY/rose/img_1h.jpeg"), ("v2", "emotions/HAPPY/rose/img_1h.jpeg"),
         ("v1", "emotions/SAD/with cat/img_3h.jpeg"), ("v3", "emotions/happy/old_5h.jpeg")]


@dataclass
class Stack:
    store: Any
    catalog: Any
    deliver: Callable[[], None]      # bring outstanding object events to the catalog


@contextlib.contextmanager
def local_stacks(tmp_path):
    from chalicelib.catalog.sqlite import SqliteImageIndex
    from chalicelib.storage.folder import FolderObjectStore

    def make(name: str) -> Stack:
        holder: dict[str, Any] = {}
        store = FolderObjectStore(tmp_path / name / "objects", "http://127.0.0.1:8000",
                                  on_event=lambda e: indexer.handle_event(e, holder["store"], holder["catalog"]))  # type: ignore[arg-type]
        holder.update(store=store, catalog=SqliteImageIndex(tmp_path / name / "catalog.sqlite3"))
        return Stack(store, holder["catalog"], lambda: None)   # the folder store delivers at once
    yield make


class S3Notifications:
    """moto's S3 sends real notification events to an SQS queue; this hands them to the index
    handler. moto leaves out S3's per-key ``sequencer``; arrival order supplies one."""

    def __init__(self, s3, sqs, bucket: str, store, catalog) -> None:
        self._sqs, self._store, self._catalog = sqs, store, catalog
        self._queue = sqs.create_queue(QueueName=f"{bucket}-events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self._queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                                     "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".jpeg"}]}}}]})
        self.delivered = 0

    def deliver(self) -> None:
        while True:
            messages = self._sqs.receive_message(QueueUrl=self._queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return
            for message in messages:
                event = json.loads(message["Body"])
                for record in event.get("Records", []):
                    record["s3"]["object"].setdefault("sequencer", next_sequencer())
                indexer.handle_event(event, self._store, self._catalog)
                self._sqs.delete_message(QueueUrl=self._queue, ReceiptHandle=message["ReceiptHandle"])
                self.delivered += 1


@contextlib.contextmanager
def aws_stacks(tmp_path):
    from chalicelib.catalog.dynamodb import DynamoImageIndex, create_table
    from chalicelib.storage.s3 import S3ObjectStore
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")

        def make(name: str) -> Stack:
            s3.create_bucket(Bucket=name)
            create_table(dynamodb, name)
            store = S3ObjectStore(s3, name, "https://d123.cloudfront.net")
            catalog = DynamoImageIndex(dynamodb.Table(name))
            return Stack(store, catalog, S3Notifications(s3, sqs, name, store, catalog).deliver)
        yield make


STACKS = {"local": local_stacks, "aws": aws_stacks}


@pytest.fixture(params=sorted(STACKS))
def make_stack(request, tmp_path):
    with STACKS[request.param](tmp_path) as make:
        yield make


def fill(stack: Stack) -> dict[str, bytes]:
    objects = {}
    for n, (key, prov) in enumerate(SOURCE.items()):
        objects[key] = jpeg(color=(40 * n, 90, 200 - 20 * n), prov=prov)
        stack.store.put(key, objects[key])
    stack.deliver()
    for visitor, key in LIKES:
        stack.catalog.like(key, visitor)
    return objects


def snapshot(catalog) -> tuple[list, list]:
    images = sorted((r.key, r.area, r.emotion, r.favorite, r.orientation, r.created_ms, r.size,
                     json.dumps(r.provenance, sort_keys=True), r.likes) for r in catalog.iter_images())
    likes = sorted((e.key, e.likes, tuple(sorted(e.visitors))) for e in catalog.export_likes())
    return images, likes


def objects_of(store) -> dict[str, bytes]:
    return {obj.key: store.get(obj.key) for obj in store.list("")}


def restore(stack: Stack, directory, **kwargs) -> backup.RestoreReport:
    # the sleep hook delivers the events a deployed stage's Lambda would be indexing meanwhile
    return backup.restore(stack.store, stack.catalog, stack.catalog, directory, wait_seconds=30,
                          sleep=lambda _: stack.deliver(), **kwargs)


def test_round_trip_gives_the_identical_catalog(make_stack, tmp_path):
    source = make_stack("source")
    objects = fill(source)
    before = snapshot(source.catalog)
    assert len(before[0]) == len(SOURCE) and len(before[1]) == 3

    seen: list[tuple[int, int]] = []
    report = backup.backup(source.store, source.catalog, source.catalog, tmp_path / "bk",
                           progress=lambda done, total, key: seen.append((done, total)))
    assert report.objects == len(SOURCE) and report.images == len(SOURCE) and report.liked == 3
    assert seen[-1] == (len(SOURCE), len(SOURCE)) and not report.failed
    assert (tmp_path / "bk" / "emotions/SAD/with cat/img_3h.jpeg").read_bytes() == objects["emotions/SAD/with cat/img_3h.jpeg"]

    target = make_stack("target")
    assert snapshot(target.catalog) == ([], [])
    result = restore(target, tmp_path / "bk")
    assert sorted(result.written) == sorted(SOURCE) and result.skipped == [] and result.complete
    assert result.likes_restored == 3
    assert snapshot(target.catalog) == before
    assert objects_of(target.store) == objects


def test_restore_skips_foreign_files_and_reports_them(make_stack, tmp_path):
    source = make_stack("source")
    fill(source)
    directory = tmp_path / "bk"
    backup.backup(source.store, source.catalog, source.catalog, directory)
    foreign = {
        "notes.txt": b"operator notes",
        "emotions/HAPPY/readme.md": b"# not an image",
        "emotions/BLISS/ah.jpeg": jpeg(),            # not an emotion
        "emotions/HAPPY/no-orientation.jpeg": jpeg(),  # no h/v
        "pool/HAPPY/fakeh.jpeg": b"not a jpeg at all",
        "text2image/job/0.jpeg": jpeg(),             # not part of a garden backup
        "random/xh.jpeg": jpeg(),
        "emotions/HAPPY/.tmp-abc": b"half",
    }
    for rel, data in foreign.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_bytes(data)
    with (directory / backup.CATALOG).open("a") as f:
        f.write("{broken line\n")
    target = make_stack("target")
    report = restore(target, directory)
    assert sorted(report.written) == sorted(SOURCE)
    assert sorted(path for path, _ in report.skipped) == sorted([*foreign, f"{backup.CATALOG}:{len(SOURCE) + 1}"])
    assert all(why for _, why in report.skipped)
    assert sorted(r.key for r in target.catalog.iter_images()) == sorted(SOURCE)
    assert report.likes_restored == 3


def test_restore_again_writes_nothing_and_changes_nothing(make_stack, tmp_path):
    source = make_stack("source")
    fill(source)
    backup.backup(source.store, source.catalog, source.catalog, tmp_path / "bk")
    target = make_stack("target")
    restore(target, tmp_path / "bk")
    target.catalog.like("emotions/HAPPY/img_2v.jpeg", "v9")     # a like given after the restore
    after_first = snapshot(target.catalog)
    again = restore(target, tmp_path / "bk")
    assert again.written == [] and again.unchanged == len(SOURCE) and again.complete
    assert snapshot(target.catalog) == after_first              # no duplicates, no lost like


class FlakyStore:
    """The store, failing every other write the first time round (S3 throttling mid-restore)."""

    def __init__(self, store) -> None:
        self._store, self.calls = store, 0

    def put(self, key, data, content_type="image/jpeg", metadata=None):
        self.calls += 1
        if self.calls % 2:
            raise ServiceUnavailable("S3 is busy (SlowDown); try again")
        return self._store.put(key, data, content_type, metadata)

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_a_partial_restore_can_be_run_again_without_duplicates(make_stack, tmp_path):
    source = make_stack("source")
    objects = fill(source)
    before = snapshot(source.catalog)
    backup.backup(source.store, source.catalog, source.catalog, tmp_path / "bk")
    target = make_stack("target")
    first = backup.restore(FlakyStore(target.store), target.catalog, target.catalog, tmp_path / "bk",
                           wait_seconds=0.2, sleep=lambda _: target.deliver())
    assert first.failed and first.written and not first.complete
    assert len(first.failed) + len(first.written) == len(SOURCE)
    assert all("busy" in why for _, why in first.failed)
    second = restore(target, tmp_path / "bk")
    assert sorted(second.written) == sorted(key for key, _ in first.failed)
    assert second.unchanged == len(first.written) and second.complete
    assert snapshot(target.catalog) == before
    assert objects_of(target.store) == objects


def test_restore_from_a_missing_folder_is_refused(tmp_path):
    from chalicelib.errors import InvalidRequest
    with local_stacks(tmp_path) as make:
        stack = make("t")
        with pytest.raises(InvalidRequest, match="not a folder"):
            backup.restore(stack.store, stack.catalog, stack.catalog, tmp_path / "nowhere")


def test_backup_is_a_plain_mirror_of_the_keys_with_a_manifest(tmp_path):
    with local_stacks(tmp_path) as make:
        stack = make("s")
        fill(stack)
        stack.store.put("text2image/j/0.jpeg", jpeg())   # not garden or pool: not backed up
        backup.backup(stack.store, stack.catalog, stack.catalog, tmp_path / "bk")
    files = sorted(p.relative_to(tmp_path / "bk").as_posix() for p in (tmp_path / "bk").rglob("*") if p.is_file())
    assert files == sorted([*SOURCE, backup.CATALOG, backup.MANIFEST])
    manifest = json.loads((tmp_path / "bk" / backup.MANIFEST).read_text())
    assert manifest["format"] == "emotion-garden-backup" and manifest["objects"] == len(SOURCE)
    lines = [json.loads(line) for line in (tmp_path / "bk" / backup.CATALOG).read_text().splitlines()]
    liked = next(line for line in lines if line["key"] == "emotions/HAPPY/rose/img_1h.jpeg")
    assert liked["likes"] == 2 and liked["visitors"] == ["v1", "v2"] and liked["provenance"]["seed"] == 1
