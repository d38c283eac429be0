"""DynamoDB-only behaviour: the documented table design and item shapes (the infrastructure
template follows them), and ClientError translated into domain errors."""
from __future__ import annotations

import time
from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from chalicelib.catalog import pad_sequencer
from chalicelib.catalog.dynamodb import (
    GARDEN_INDEX,
    RANK_PER_LIKE,
    DynamoImageIndex,
    DynamoJobStore,
    create_table,
    garden_partition,
    image_key,
    table_definition,
)
from chalicelib.errors import ImageNotFound, InvalidRequest, ServiceUnavailable

KEY = "emotions/HAPPY/rose/bloom 1h.jpeg"
T0 = 1_700_000_000_000


@pytest.fixture
def ddb(dynamo_table) -> DynamoImageIndex:
    return DynamoImageIndex(dynamo_table)


@pytest.fixture
def djobs(dynamo_table) -> DynamoJobStore:
    return DynamoJobStore(dynamo_table)


def raw(table, pk: str, sk: str = "IMG") -> dict | None:
    return table.get_item(Key={"pk": pk, "sk": sk}).get("Item")


def test_create_table_builds_the_documented_design_from_a_client():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, "made-by-client")
        table = client.describe_table(TableName="made-by-client")["Table"]
        assert table["KeySchema"] == table_definition("x")["KeySchema"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
        assert sorted(indexes) == ["fresh", "garden"]
        assert indexes["fresh"]["KeySchema"] == [{"AttributeName": "gpk", "KeyType": "HASH"},
                                                 {"AttributeName": "created_ms", "KeyType": "RANGE"}]
        index = indexes[GARDEN_INDEX]
        assert index["IndexName"] == GARDEN_INDEX == "garden"
        assert index["KeySchema"] == [{"AttributeName": "gpk", "KeyType": "HASH"},
                                      {"AttributeName": "rank", "KeyType": "RANGE"}]
        assert index["Projection"] == {"ProjectionType": "ALL"}
        ttl = client.describe_time_to_live(TableName="made-by-client")
        assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED",
                                                "AttributeName": "ttl"}


def test_image_items_have_the_documented_shape(ddb, dynamo_table, make_record):
    ddb.apply_created(make_record(KEY, created_ms=T0, size=10,
                                  provenance={"seed": 3, "guidance": 7.5}), "0A")
    item = raw(dynamo_table, f"IMG#{KEY}")
    assert item == {"pk": f"IMG#{KEY}", "sk": "IMG", "key": KEY, "area": "emotions",
                    "emotion": "HAPPY", "favorite": "rose", "orientation": "landscape",
                    "created_ms": T0, "size": 10,
                    "provenance": {"seed": 3, "guidance": Decimal("7.5")},
                    "likes": 0, "rank": T0, "seq": pad_sequencer("0A"),
                    "gpk": "emotions#HAPPY#landscape"}
    ddb.like(KEY, "ana")
    ddb.like(KEY, "ben")
    item = raw(dynamo_table, f"IMG#{KEY}")
    assert (item["likes"], item["likes_rank"], item["rank"]) == \
        (2, 2 * RANK_PER_LIKE, 2 * RANK_PER_LIKE + T0)
    like = raw(dynamo_table, f"IMG#{KEY}", "LIKE#ana")
    assert like["visitor"] == "ana" and abs(int(like["liked_ms"]) - time.time() * 1000) < 60_000
    # A newer creation recomputes rank from the likes it keeps and the new time.
    ddb.apply_created(make_record(KEY, created_ms=T0 + 9), "0B")
    assert raw(dynamo_table, f"IMG#{KEY}")["rank"] == 2 * RANK_PER_LIKE + T0 + 9


def test_tombstones_and_text2image_items_stay_out_of_the_index(ddb, dynamo_table,
                                                               make_record):
    ddb.apply_created(make_record("text2image/j/0.jpeg"), "01")
    item = raw(dynamo_table, "IMG#text2image/j/0.jpeg")
    assert "gpk" not in item and "emotion" not in item and "orientation" not in item
    ddb.apply_created(make_record(KEY), "01")
    ddb.like(KEY, "ana")
    ddb.apply_removed(KEY, "02")
    assert raw(dynamo_table, f"IMG#{KEY}") == {"pk": f"IMG#{KEY}", "sk": "IMG", "key": KEY,
                                               "seq": pad_sequencer("02"), "tombstone": True}
    assert raw(dynamo_table, f"IMG#{KEY}", "LIKE#ana") is None  # likes go with the image
    listed = dynamo_table.query(IndexName="garden", KeyConditionExpression="gpk = :g",
                                ExpressionAttributeValues={":g": "emotions#HAPPY#landscape"})
    assert listed["Items"] == []


def test_job_items_expire_after_thirty_days(djobs, dynamo_table):
    djobs.create_job({"jobId": "j-1", "status": "RUNNING"})
    item = raw(dynamo_table, "JOB#j-1", "JOB")
    assert abs(int(item["ttl"]) - (time.time() + 30 * 86400)) < 120
    assert "ttl" not in djobs.get_job("j-1")
    with pytest.raises(InvalidRequest):
        djobs.update_job("j-1", {"ttl": 0})  # the catalog's own attributes stay its own


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException",
                                  "ThrottlingException", "InternalServerError",
                                  "ResourceNotFoundException"])
def test_throttling_and_outages_become_service_unavailable(ddb, djobs, dynamo_table, code):
    with Stubber(dynamo_table.meta.client) as stub:
        stub.add_client_error("get_item", code, http_status_code=400)
        stub.add_client_error("query", code, http_status_code=400)
        stub.add_client_error("get_item", code, http_status_code=400)
        with pytest.raises(ServiceUnavailable):
            ddb.get_image(KEY)
        with pytest.raises(ServiceUnavailable):
            ddb.query("emotions", "HAPPY", "landscape", 5)
        with pytest.raises(ServiceUnavailable):
            djobs.append_job_entry("j", "images", {})
        stub.assert_no_pending_responses()  # each failure was the one stubbed, not the stub's own


def test_a_like_that_conflicts_with_another_transaction_is_retried(ddb, dynamo_table,
                                                                   make_record):
    ddb.apply_created(make_record(KEY), "01")
    with Stubber(dynamo_table.meta.client) as stub:
        stub.add_client_error(
            "transact_write_items", "TransactionCanceledException",
            modeled_fields={"CancellationReasons": [{"Code": "None"},
                                                    {"Code": "TransactionConflict"}]})
        stub.add_response("transact_write_items", {})
        stub.add_response("get_item", {"Item": {
            "pk": {"S": f"IMG#{KEY}"}, "sk": {"S": "IMG"}, "key": {"S": KEY},
            "likes": {"N": "1"}}})
        assert ddb.like(KEY, "ana") == (1, True)
        stub.assert_no_pending_responses()


def test_a_like_cancelled_because_the_image_vanished_is_image_not_found(ddb, dynamo_table):
    with Stubber(dynamo_table.meta.client) as stub:
        stub.add_client_error(
            "transact_write_items", "TransactionCanceledException",
            modeled_fields={"CancellationReasons": [{"Code": "None"},
                                                    {"Code": "ConditionalCheckFailed"}]})
        with pytest.raises(ImageNotFound):
            ddb.like(KEY, "ana")


def test_a_cursor_dynamodb_rejects_is_an_invalid_request(ddb, dynamo_table, make_record):
    for i in range(3):
        ddb.apply_created(make_record(f"emotions/SAD/k{i}h.jpeg", created_ms=T0 + i), "01")
    cursor = ddb.query("emotions", "SAD", "landscape", 1).cursor
    with Stubber(dynamo_table.meta.client) as stub:
        stub.add_client_error("query", "ValidationException", "The provided starting key "
                              "is invalid")
        with pytest.raises(InvalidRequest):
            ddb.query("emotions", "SAD", "landscape", 1, cursor)


def test_job_entries_are_items_of_their_own_expiring_with_the_job(djobs, dynamo_table):
    djobs.create_job({"jobId": "j-1", "status": "RUNNING"})
    djobs.append_job_entry("j-1", "images", {"n": 7, "key": "k7", "seconds": 1.5})
    djobs.append_job_entry("j-1", "errors", {"n": 8, "endpoint": "http://b",
                                           "error": "EndpointTimeout", "message": "slow"})
    djobs.append_job_entry("j-1", "errors", {"endpoint": None, "error": "States.Runtime"})
    main = raw(dynamo_table, "JOB#j-1", "JOB")
    assert "images" not in main and "errors" not in main
    assert main["deadEndpoints"] == {"http://b"}
    image = raw(dynamo_table, "JOB#j-1", "IMG#000007")
    assert image["entry"] == {"n": 7, "key": "k7", "seconds": Decimal("1.5")}
    assert image["ttl"] == main["ttl"]
    assert raw(dynamo_table, "JOB#j-1", "ERR#000008")["ttl"] == main["ttl"]
    items = dynamo_table.query(KeyConditionExpression="pk = :pk",
                               ExpressionAttributeValues={":pk": "JOB#j-1"})["Items"]
    unnumbered = [i for i in items if i["sk"].startswith("ERR#~")]
    assert len(items) == 4 and len(unnumbered) == 1 and unnumbered[0]["ttl"] == main["ttl"]


def test_a_job_summary_reads_the_job_item_alone(djobs, dynamo_table):
    djobs.create_job({"jobId": "j-1", "status": "RUNNING"})
    for n in range(5):
        djobs.append_job_entry("j-1", "images", {"n": n})
    with Stubber(dynamo_table.meta.client) as stub:
        stub.add_response("get_item", {"Item": {"pk": {"S": "JOB#j-1"}, "sk": {"S": "JOB"},
                                                "jobId": {"S": "j-1"}, "ttl": {"N": "1"},
                                                "deadEndpoints": {"SS": ["http://b"]}}},
                          {"TableName": dynamo_table.name, "ConsistentRead": True,
                           "Key": {"pk": "JOB#j-1", "sk": "JOB"}})
        assert djobs.job_summary("j-1") == {"jobId": "j-1", "deadEndpoints": ["http://b"]}
        stub.assert_no_pending_responses()


def test_a_job_write_dynamodb_refuses_is_service_unavailable_not_a_crash(djobs, dynamo_table):
    djobs.create_job({"jobId": "j-1", "status": "RUNNING"})
    djobs.append_job_entry("j-1", "images", {"n": 0})  # its ttl is known from here on
    with Stubber(dynamo_table.meta.client) as stub:
        stub.add_client_error("put_item", "ValidationException",
                              "Item size has exceeded the maximum allowed size")
        stub.add_client_error("update_item", "ValidationException", "something else")
        stub.add_client_error("query", "AccessDeniedException")
        with pytest.raises(ServiceUnavailable, match="ValidationException"):
            djobs.append_job_entry("j-1", "images", {"n": 1})
        with pytest.raises(ServiceUnavailable):
            djobs.update_job("j-1", {"status": "FAILED"})
        with pytest.raises(ServiceUnavailable):
            djobs.get_job("j-1")


def test_likes_totals_come_from_the_index_not_a_scan(ddb, dynamo_table, make_record,
                                                     monkeypatch):
    ddb.apply_created(make_record(KEY), "01")
    ddb.like(KEY, "ana")

    def no_scan(**_):
        raise AssertionError("likes_total scanned the table")

    monkeypatch.setattr(dynamo_table, "scan", no_scan)
    assert ddb.likes_total("emotions", "HAPPY") == 1


def test_both_adapters_work_on_the_one_table(ddb, djobs, dynamo_table, make_record):
    ddb.apply_created(make_record(KEY), "01")
    djobs.create_job({"jobId": "j-1", "status": "RUNNING"})
    assert ddb.table is djobs.table is dynamo_table
    keys = {(i["pk"], i["sk"]) for i in dynamo_table.scan()["Items"]}
    assert keys == {(image_key(KEY)["pk"], image_key(KEY)["sk"]), ("JOB#j-1", "JOB")}
    assert raw(dynamo_table, image_key(KEY)["pk"])["gpk"] == \
        garden_partition("emotions", "HAPPY", "landscape")


# --- sequencers stored left-padded by older versions: the one-off migration -------------------
def test_repad_legacy_sequencers_puts_the_padding_on_the_right_once(ddb, dynamo_table,
                                                                     make_record):
    legacy, recent = "0055AED6DCD90281E5", "0055AED6DCD90281F"
    ddb.apply_created(make_record(KEY), legacy)
    ddb.apply_created(make_record("emotions/SAD/bh.jpeg"), "0055AED6DCD9028200")
    ddb.apply_removed("emotions/SAD/bh.jpeg", "0055AED6DCD9028300")   # a tombstone
    ddb.reconcile(make_record("emotions/CALM/ch.jpeg"))                # seq "" (reindex)
    # what an older version stored: the same sequencers, padded on the left
    for key, seq in ((KEY, legacy), ("emotions/SAD/bh.jpeg", "0055AED6DCD9028300")):
        dynamo_table.update_item(Key=image_key(key), UpdateExpression="SET seq = :s",
                                 ExpressionAttributeValues={":s": seq.rjust(32, "0")})
    # unmigrated, a stored value reads as older than the very event that wrote it: any late
    # or repeated event would apply again
    assert raw(dynamo_table, f"IMG#{KEY}")["seq"] < pad_sequencer(legacy)
    assert ddb.repad_legacy_sequencers() == 2
    assert raw(dynamo_table, f"IMG#{KEY}")["seq"] == pad_sequencer(legacy)
    assert raw(dynamo_table, "IMG#emotions/SAD/bh.jpeg")["seq"] == \
        pad_sequencer("0055AED6DCD9028300")
    assert raw(dynamo_table, "IMG#emotions/CALM/ch.jpeg")["seq"] == ""
    assert ddb.repad_legacy_sequencers() == 0                          # a second run: nothing
    # migrated, the same event is a duplicate, a newer removal with a shorter sequencer
    # wins, and the older creation delivered late is stale
    assert ddb.apply_created(make_record(KEY), legacy).value == "duplicate"
    assert ddb.apply_removed(KEY, recent).value == "removed"
    assert ddb.apply_created(make_record(KEY), legacy).value == "stale"


# --- likes under contention: TransactionConflict is retried after a jittered pause ------------
def _conflicting(client, conflicts: int):
    """The client's transact_write_items, cancelled with TransactionConflict ``conflicts``
    times first (as DynamoDB answers simultaneous transactions on one item)."""
    from botocore.exceptions import ClientError
    real, left = client.transact_write_items, [conflicts]

    def transact(**kwargs):
        if left[0] > 0:
            left[0] -= 1
            raise ClientError({"Error": {"Code": "TransactionCanceledException",
                                         "Message": "Transaction cancelled"},
                               "CancellationReasons": [{"Code": "None"},
                                                       {"Code": "TransactionConflict"}]},
                              "TransactWriteItems")
        return real(**kwargs)
    return transact


def test_a_conflicting_like_is_retried_after_growing_jittered_pauses(ddb, make_record,
                                                                      monkeypatch):
    from chalicelib.catalog.dynamodb import images
    ddb.apply_created(make_record(KEY), "01")
    pauses: list[float] = []
    ddb.sleep = pauses.append
    monkeypatch.setattr(ddb, "_client", type("C", (), {
        "transact_write_items": staticmethod(_conflicting(ddb._client, 5))})())
    assert ddb.like(KEY, "ana") == (1, True)                 # the sixth attempt counts
    assert len(pauses) == 5 and all(p >= 0 for p in pauses)
    for attempt, pause in enumerate(pauses, start=1):     # each within its growing bound
        assert pause <= min(images.LIKE_BACKOFF_CAP_S, images.LIKE_BACKOFF_S * 2 ** attempt)
    assert len(set(pauses)) == 5                          # random, not one fixed step


def test_a_like_that_keeps_conflicting_is_503_with_retry_after(ddb, make_record, monkeypatch):
    from chalicelib.catalog.dynamodb import images
    from chalicelib.web.edge import handled
    ddb.apply_created(make_record(KEY), "01")
    ddb.sleep = lambda seconds: None
    monkeypatch.setattr(ddb, "_client", type("C", (), {
        "transact_write_items": staticmethod(_conflicting(ddb._client, 100))})())
    with pytest.raises(ServiceUnavailable) as busy:
        ddb.like(KEY, "ana")
    response = handled(lambda: ddb.like(KEY, "ben"))()
    assert isinstance(busy.value, images.LikesContended)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert raw(ddb.table, f"IMG#{KEY}")["likes"] == 0     # nothing half-counted


# --- the claim counter: each unit handed out once by the fast path, never one past the work ---
def test_the_claim_counter_stops_at_the_work_and_hands_each_unit_out_once(djobs, dynamo_table):
    djobs.create_job({"jobId": "w", "status": "RUNNING", "endpoints": ["http://a"]})
    djobs.add_work("w", [{"n": n} for n in range(3)])
    claims = [djobs.claim_work("w", "run/0", "http://a", 60) for _ in range(3)]
    assert [(c.n, c.left) for c in claims] == [(0, 2), (1, 1), (2, 0)]
    job = raw(dynamo_table, "JOB#w", "JOB")
    assert (job["nextWork"], job["workCount"]) == (3, 3)
    assert djobs.claim_work("w", "run/0", "http://a", 60) is None    # nothing left to hand out
    assert raw(dynamo_table, "JOB#w", "JOB")["nextWork"] == 3           # and the counter stays
    djobs.release_work("w", worker="run/0")
    assert djobs.claim_work("w", "run/1", "http://a", 60).n == 0       # found again, by a query
    assert raw(dynamo_table, "JOB#w", "JOB")["nextWork"] == 3
