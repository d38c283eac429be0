"""One contract, both object stores: the folder (local) and S3 (under moto)."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from chalicelib.errors import InvalidKey, ObjectNotFound, ServiceUnavailable
from chalicelib.storage.folder import FolderObjectStore
from chalicelib.storage.s3 import S3ObjectStore

KEY = "emotions/HAPPY/rose/bloom 1h.jpeg"


@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path):
    if request.param == "folder":
        yield FolderObjectStore(tmp_path / "objects", "http://127.0.0.1:8000")
        return
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="garden")
        yield S3ObjectStore(client, "garden", "https://d123.cloudfront.net")


def test_get_after_put_returns_the_bytes(store):
    store.put(KEY, b"\xff\xd8jpeg")
    assert store.get(KEY) == b"\xff\xd8jpeg"
    assert store.exists(KEY)


def test_head_returns_the_first_bytes(store):
    store.put(KEY, b"0123456789")
    assert store.head(KEY, 4) == b"0123"
    assert store.head(KEY, 100) == b"0123456789"


def test_missing_key_raises_object_not_found(store):
    with pytest.raises(ObjectNotFound):
        store.get("emotions/SAD/nothingh.jpeg")
    with pytest.raises(ObjectNotFound):
        store.head("emotions/SAD/nothingh.jpeg", 10)
    assert not store.exists("emotions/SAD/nothingh.jpeg")


def test_delete_is_idempotent(store):
    store.put(KEY, b"x")
    store.delete(KEY)
    store.delete(KEY)
    assert not store.exists(KEY)


def test_copy_makes_an_equal_object(store):
    store.put(KEY, b"abc")
    store.copy(KEY, "pool/HAPPY/copyh.jpeg")
    assert store.get("pool/HAPPY/copyh.jpeg") == b"abc"
    with pytest.raises(ObjectNotFound):
        store.copy("pool/HAPPY/missingh.jpeg", "pool/HAPPY/elseh.jpeg")


def test_list_filters_by_prefix_and_reports_sizes(store):
    store.put("emotions/HAPPY/ah.jpeg", b"12")
    store.put("emotions/SAD/bv.jpeg", b"123")
    store.put("pool/SAD/cv.jpeg", b"1")
    listed = {o.key: o.size for o in store.list("emotions/")}
    assert listed == {"emotions/HAPPY/ah.jpeg": 2, "emotions/SAD/bv.jpeg": 3}
    assert {o.key for o in store.list()} >= {"pool/SAD/cv.jpeg"}


def test_url_is_under_the_public_origin_and_encoded(store):
    url = store.url(KEY)
    assert url.startswith(("http://127.0.0.1:8000/", "https://d123.cloudfront.net/"))
    assert url.endswith("/emotions/HAPPY/rose/bloom%201h.jpeg")


@pytest.mark.parametrize("bad", ["../etc/passwd", "/emotions/HAPPY/ah.jpeg", "emotions/../../x",
                                 "emotions//ah.jpeg", "a\\b", ""])
def test_keys_that_escape_are_refused(store, bad):
    with pytest.raises(InvalidKey):
        store.put(bad, b"x")


def test_folder_store_emits_s3_shaped_events(tmp_path):
    events: list[dict] = []
    store = FolderObjectStore(tmp_path, "http://x", on_event=events.append)
    store.put("emotions/HAPPY/a b+ü h.jpeg", b"abc")
    store.copy("emotions/HAPPY/a b+ü h.jpeg", "pool/HAPPY/ch.jpeg")
    store.delete("pool/HAPPY/ch.jpeg")
    store.delete("pool/HAPPY/ch.jpeg")  # nothing there: no event
    names = [e["Records"][0]["eventName"] for e in events]
    assert names == ["ObjectCreated:Put", "ObjectCreated:Copy", "ObjectRemoved:Delete"]
    first = events[0]["Records"][0]["s3"]["object"]
    assert first["key"] == "emotions/HAPPY/a+b%2B%C3%BC+h.jpeg"  # as S3 encodes it
    assert first["size"] == 3
    sequencers = [e["Records"][0]["s3"]["object"]["sequencer"] for e in events]
    assert sequencers == sorted(sequencers) and len(set(sequencers)) == 3


def test_folder_store_never_leaves_a_partial_file(tmp_path, monkeypatch):
    store = FolderObjectStore(tmp_path, "http://x")
    store.put(KEY, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(ServiceUnavailable, match="the image store cannot write"):
        store.put(KEY, b"new")   # a 503 for the client, naming no path
    assert store.get(KEY) == b"old"
    assert [o.key for o in store.list()] == [KEY]


def test_folder_events_follow_the_order_the_files_changed_in(tmp_path):
    """Concurrent puts and deletes of one key: the newest event always matches the file."""
    import threading
    events: list[dict] = []
    lock = threading.Lock()

    def record(event):
        with lock:
            events.append(event["Records"][0])
    store = FolderObjectStore(tmp_path, "http://x", on_event=record)
    key = "emotions/HAPPY/rose/racing h.jpeg"

    def churn(n):
        for i in range(60):
            if (i + n) % 3:
                store.put(key, b"x")
            else:
                store.delete(key)
    threads = [threading.Thread(target=churn, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    newest = max(events, key=lambda r: r["s3"]["object"]["sequencer"])
    assert newest["eventName"].startswith("ObjectCreated") == store.exists(key)


@pytest.mark.parametrize("failure", [OSError(30, "Read-only file system"),
                                     PermissionError(13, "Permission denied"),
                                     OSError(28, "No space left on device"),
                                     OSError(5, "Input/output error")])
def test_a_failing_disk_is_service_unavailable_naming_no_path(tmp_path, monkeypatch, failure):
    store = FolderObjectStore(tmp_path, "http://x")
    store.put(KEY, b"old")

    def fail(*args, **kwargs):
        failure.filename = str(tmp_path / "objects" / KEY)
        raise failure
    for target in ("tempfile.mkstemp", "pathlib.Path.read_bytes", "pathlib.Path.unlink"):
        with monkeypatch.context() as patch:
            patch.setattr(target, fail)
            operation = {"tempfile.mkstemp": lambda: store.put(KEY, b"new"),
                         "pathlib.Path.read_bytes": lambda: store.get(KEY),
                         "pathlib.Path.unlink": lambda: store.delete(KEY)}[target]
            with pytest.raises(ServiceUnavailable) as unavailable:
                operation()
            assert failure.strerror in str(unavailable.value)
            assert str(tmp_path) not in str(unavailable.value)
    assert store.get(KEY) == b"old"
