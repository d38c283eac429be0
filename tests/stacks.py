"""The two stacks the product runs on, for tests that cover both: (store, image index) pairs.
Local: a folder and SQLite. AWS: S3 and DynamoDB under moto."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import boto3
from moto import mock_aws

from tests.timing import scaled


@contextlib.contextmanager
def local_stack(tmp_path, on_event=None):
    from chalicelib.catalog.sqlite import SqliteImageIndex
    from chalicelib.storage.folder import FolderObjectStore
    yield FolderObjectStore(tmp_path / "objects", "http://127.0.0.1:8000", on_event), \
        SqliteImageIndex(tmp_path / "catalog.sqlite3")


@contextlib.contextmanager
def aws_stack(tmp_path, on_event=None):
    from chalicelib.catalog.dynamodb import DynamoImageIndex, create_table
    from chalicelib.storage.s3 import S3ObjectStore
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="garden")
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        create_table(dynamodb, "garden")
        yield S3ObjectStore(s3, "garden", "https://d123.cloudfront.net"), \
            DynamoImageIndex(dynamodb.Table("garden"))


STACKS = {"local": local_stack, "aws": aws_stack}


@contextlib.contextmanager
def threaded_server(tls: Any = None, limits: Any = None) -> Iterator[Any]:
    """The local server (``web.local_server``) of the project's app on a free loopback port,
    serving from a thread of this process (``limits``: its ``Limits``, else the defaults);
    stopped, closed and its thread ended on leaving."""
    from app import app
    from chalicelib.web.local_server import make_server
    server = make_server(app, "127.0.0.1", 0, tls=tls, **({"limits": limits} if limits else {}))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(scaled(20))
