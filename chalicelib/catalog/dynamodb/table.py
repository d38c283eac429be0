"""The catalog table: its keys and definition, and what both adapters on it share — the
conditional update, paging, and DynamoDB's failures as domain errors."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import BotoCoreError, ClientError

from ...errors import InvalidRequest, ServiceUnavailable
from ...rules.cursors import BAD_CURSOR

GARDEN_INDEX = "garden"
FILTERED_READ = 200        # index entries read per Query call when filtering by favorite
FRESH_INDEX = "fresh"     # gpk, created_ms: newest first (order=fresh, counters.py)
IMAGE_SK = "IMG"
JOB_SK = "JOB"
WRITE_RETRIES = 5
_UNAVAILABLE = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "ResourceNotFoundException",
    "TransactionInProgressException", "LimitExceededException",
}


def garden_partition(area: str, emotion: str, orientation: str) -> str:
    """The GSI partition value of a visible garden or pool image."""
    return f"{area}#{emotion}#{orientation}"


def image_key(key: str) -> dict[str, str]:
    return {"pk": f"IMG#{key}", "sk": IMAGE_SK}


def job_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def job_key(job_id: str) -> dict[str, str]:
    return {"pk": job_pk(job_id), "sk": JOB_SK}


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
                                 {"AttributeName": "rank", "AttributeType": "N"},
                                 {"AttributeName": "created_ms", "AttributeType": "N"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": GARDEN_INDEX,
            "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"},
                          {"AttributeName": "rank", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }, {
            "IndexName": FRESH_INDEX,
            "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"},
                          {"AttributeName": "created_ms", "KeyType": "RANGE"}],
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


class OnTable:
    """An adapter on the catalog table (a boto3 ``Table`` resource)."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self._client = table.meta.client  # takes Python values, like the resource

    def _update(self, key: dict[str, str], expression: str, condition: str,
                names: dict[str, str], values: dict[str, Any],
                returns: str = "NONE") -> dict[str, Any] | None:
        """One conditional UpdateItem; ConditionFailed when the condition does not hold."""
        args: dict[str, Any] = {"Key": key, "UpdateExpression": expression,
                                "ConditionExpression": condition, "ReturnValues": returns}
        if names:
            args["ExpressionAttributeNames"] = names
        if values:
            args["ExpressionAttributeValues"] = values
        try:
            with aws():
                response = self.table.update_item(**args)
        except ClientError as exc:
            if code(exc) == "ConditionalCheckFailedException":
                raise ConditionFailed() from exc
            raise
        attributes: dict[str, Any] | None = response.get("Attributes")
        return attributes

    def _index_items(self, index: str, gpk: str, limit: int, start: dict[str, Any] | None,
                     from_cursor: bool, favorite: str | None = None) -> list[dict[str, Any]]:
        """Up to ``limit + 1`` items of one partition of a GSI, last first (one more than a
        page: a full page then knows whether another follows); a cursor DynamoDB refuses
        (``from_cursor``) is a bad request. With ``favorite``, a FilterExpression keeps only
        its images: pages are read until the limit is met or the partition ends, so a rare
        favorite costs reads of the emotion's other images in between (the cursor is the
        last item returned, never LastEvaluatedKey, so none is skipped)."""
        items: list[dict[str, Any]] = []
        while len(items) <= limit:
            args: dict[str, Any] = {"IndexName": index, "ScanIndexForward": False,
                                    "KeyConditionExpression": Key("gpk").eq(gpk),
                                    "Limit": limit + 1 - len(items)}
            if favorite is not None:   # Limit counts the items read, not those kept
                args["FilterExpression"] = Attr("favorite").eq(favorite)
                args["Limit"] = max(args["Limit"], FILTERED_READ)
            if start is not None:
                args["ExclusiveStartKey"] = start
            with aws(invalid_is_request=from_cursor):
                response = self.table.query(**args)
            items += response.get("Items", [])
            start = response.get("LastEvaluatedKey")
            if start is None:
                break
        return items

    def _pages(self, call: Callable[..., dict[str, Any]], **args: Any
               ) -> Iterator[dict[str, Any]]:
        while True:
            with aws():
                response = call(**args)
            yield response
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class ConditionFailed(Exception):
    """A ConditionExpression did not hold (internal: each caller says what it means)."""


def code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def aws(invalid_is_request: bool = False) -> Iterator[None]:
    """DynamoDB's failures as domain errors where the caller can act on them."""
    try:
        yield
    except ClientError as exc:
        error = code(exc)
        if error in _UNAVAILABLE:
            raise ServiceUnavailable(f"the catalog is unavailable ({error}); try again") from exc
        if invalid_is_request and error == "ValidationException":
            raise InvalidRequest(BAD_CURSOR) from exc
        raise
    except BotoCoreError as exc:
        raise ServiceUnavailable("the catalog cannot be reached; try again") from exc


def now_ms() -> int:
    return int(time.time() * 1000)


def _client_of(dynamodb: Any) -> Any:
    # A service resource carries its client in meta.client; a client's meta has none.
    return getattr(dynamodb.meta, "client", dynamodb)
