"""Short-lived links to private objects: S3's presigned GET (under moto) and the folder
store's HMAC-signed links, which the local server checks."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from chalicelib.storage import signing
from chalicelib.storage.folder import FolderObjectStore
from chalicelib.storage.s3 import S3ObjectStore, client_config

KEY = "pool/HAPPY/rose/bloom 1h.jpeg"


def test_s3_hands_out_a_real_presigned_get_that_expires():
    import requests
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", config=client_config())  # as bootstrap builds it
        client.create_bucket(Bucket="garden")
        store = S3ObjectStore(client, "garden", "https://d123.cloudfront.net")
        store.put(KEY, b"\xff\xd8pool")
        url = store.presigned_url(KEY, 900)
        query = parse_qs(urlsplit(url).query)
        assert urlsplit(url).hostname == "garden.s3.amazonaws.com"   # the private bucket, not CloudFront
        assert query["X-Amz-Expires"] == ["900"] and query["X-Amz-Signature"]
        assert requests.get(url, timeout=10).content == b"\xff\xd8pool"


@pytest.mark.parametrize("seconds", [0, -5, signing.MAX_SECONDS + 1])
def test_a_lifetime_outside_one_second_to_seven_days_is_refused(tmp_path, seconds):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        for store in (FolderObjectStore(tmp_path, "http://127.0.0.1:8000"),
                      S3ObjectStore(client, "garden", "https://d123.cloudfront.net")):
            with pytest.raises(ValueError):
                store.presigned_url(KEY, seconds)


def test_a_folder_link_opens_only_its_own_image_and_only_until_it_expires(tmp_path):
    store = FolderObjectStore(tmp_path, "http://127.0.0.1:8000")
    url = store.presigned_url(KEY, 60)
    assert url.startswith("http://127.0.0.1:8000/pool/HAPPY/rose/bloom%201h.jpeg?")
    query = urlsplit(url).query
    assert store.verify_presigned(KEY, query)
    assert not store.verify_presigned("pool/HAPPY/otherh.jpeg", query)
    expires = int(parse_qs(query)["expires"][0])
    assert not signing.verify(store._secret, KEY, query, clock=lambda: expires + 1)
    longer = query.replace(f"expires={expires}", f"expires={expires + 3600}")
    assert not store.verify_presigned(KEY, longer)


@pytest.mark.parametrize("query", ["", "expires=&signature=", "expires=9" * 40, "signature=00",
                                   "expires=99999999999999999999&signature=ab", "expires=1e9&signature=ab",
                                   "expires=%00&signature=%ff", "&&&&&&&&&&&&&&&&"])
def test_a_malformed_link_is_refused_not_an_error(tmp_path, query):
    assert not FolderObjectStore(tmp_path, "http://x").verify_presigned(KEY, query)


def test_another_server_run_does_not_honour_old_links(tmp_path):
    url = FolderObjectStore(tmp_path, "http://x").presigned_url(KEY, 60)
    assert not FolderObjectStore(tmp_path, "http://x").verify_presigned(KEY, urlsplit(url).query)


def test_a_signature_is_compared_in_constant_time(monkeypatch):
    # a signature compared with == tells, by how long a refusal takes, how much of a guess
    # was right: every comparison goes through hmac.compare_digest, and its answer decides
    secret, query = b"s" * 32, signing.signed_query(b"s" * 32, KEY, 900)
    compared: list[tuple[bytes, bytes]] = []
    real = signing.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)
    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    assert signing.verify(secret, KEY, query) is True
    wrong = query.replace("signature=", "signature=0")
    assert signing.verify(secret, KEY, wrong) is False
    assert len(compared) == 2 and compared[0][0] == compared[0][1] != compared[1][0]
    monkeypatch.setattr(signing.hmac, "compare_digest", lambda a, b: False)
    assert signing.verify(secret, KEY, query) is False


def test_the_folder_stores_etag_is_a_checksum_not_a_security_use(monkeypatch, tmp_path):
    # S3's ETag of a single-part upload is the body's MD5: on a FIPS system an MD5 that does
    # not say it is no security measure is refused, and every write would fail
    import hashlib
    real = hashlib.md5
    calls: list[dict[str, object]] = []
    events: list[dict[str, Any]] = []

    def md5(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)
    monkeypatch.setattr(hashlib, "md5", md5)
    store = FolderObjectStore(tmp_path / "objects", "http://127.0.0.1:8000", on_event=events.append)
    store.put("emotions/HAPPY/ah.jpeg", b"\xff\xd8bloom")
    assert calls == [{"usedforsecurity": False}]
    assert events[0]["Records"][0]["s3"]["object"]["eTag"] == real(b"\xff\xd8bloom").hexdigest()
