"""Short-lived links to private objects: S3's presigned GET (under moto) and the folder
store's HMAC-signed links, which the local server checks."""
from __future__ import annotations

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
