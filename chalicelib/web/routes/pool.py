"""The operator's image pools: review (``GET /pool``), publish, remove, the overview; and the
original's pool page — list a pool (``POST /retrieve``), remove pool images
(``POST /removePool``), clear index entries (``POST /clearIndex``: here the index follows the
store, so the named keys' entries are brought back in line with it). The original's bodies are
read by ``rules/original.py``; its answers keep its envelope."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import Blueprint

from ... import curation
from ...rules import layout, original, validation
from ...rules.times import utc_now
from .. import edge
from ..context import current
from ..edge import json_body
from . import admin_route

routes = Blueprint(__name__)


@admin_route(routes, "/pool", methods=["GET", "HEAD"])
def pool_get() -> dict[str, Any]:
    # awaiting review: short-lived links (S3 presigned in AWS, where CloudFront denies pool/*);
    # area=garden: the published images with their provenance, for the desk's review only
    g = current()
    params: Mapping[str, str] = routes.current_request.query_params or {}
    area = curation.review_area(params)
    url = curation.private_url(g.store) if area == layout.POOL else g.store.url
    return curation.pool_page(g.image_index, url, params, area)


@admin_route(routes, "/admin/whole-pool", methods=["GET", "HEAD"])
def whole_pool_get() -> dict[str, Any]:
    # the whole pool of an emotion (and favorite), for the desk's publish / remove all
    return curation.whole_pool(current().image_index, routes.current_request.query_params or {})


@admin_route(routes, "/pool/publish", methods=["POST"])
def pool_publish() -> dict[str, Any]:
    body = json_body(routes.current_request)
    keys = curation.parse_keys(body)
    return edge.key_results(curation.publish(current().store, keys,
                                             curation.parse_flagged(body)))


@admin_route(routes, "/remove", methods=["POST"])
def remove_post() -> dict[str, Any]:
    body = json_body(routes.current_request)
    if original.is_original_remove(body):   # the original's {"objName": [...] | "<JSON>"}
        body = original.remove_body(body)
    return edge.key_results(curation.remove(current().store, curation.parse_keys(body)))


@admin_route(routes, "/retrieve", methods=["POST"])
def retrieve_post() -> dict[str, Any]:
    g = current()
    page = curation.pool_page(g.image_index, curation.private_url(g.store),
                              original.retrieve_params(json_body(routes.current_request)))
    urls = [item["url"] for orientation in ("landscape", "portrait") for item in page[orientation]]
    return original.envelope({**page, "urls": urls}, urls)


@admin_route(routes, "/removePool", methods=["POST"])
def remove_pool_post() -> dict[str, Any]:
    keys = curation.parse_keys(original.remove_body(json_body(routes.current_request)))
    answer = edge.key_results(curation.remove(current().store, keys, areas=(layout.POOL,)))
    return original.envelope(answer, answer["results"])


@admin_route(routes, "/clearIndex", methods=["POST"])
def clear_index_post() -> dict[str, Any]:
    keys = curation.parse_keys(original.remove_body(json_body(routes.current_request)))
    g = current()
    store, index = g.store, g.image_index
    from ... import indexer   # the original's /clearIndex only
    results = [indexer.reindex_key(store, index, key, utc_now()) for key in keys]
    answer = {"results": results, "succeeded": sum(r["status"] == 200 for r in results),
              "failed": sum(r["status"] != 200 for r in results)}
    return original.envelope(answer, results)


@admin_route(routes, "/held", methods=["GET", "HEAD"])
def held_get() -> dict[str, Any]:
    # GET /held?job=ID: a job's images the moderation held, behind short-lived links
    params: Mapping[str, str] = routes.current_request.query_params or {}
    g = current()
    return curation.held_images(g.job_store, validation.job_id(str(params.get("job") or "")),
                                curation.private_url(g.store))


@admin_route(routes, "/admin/overview", methods=["GET", "HEAD"])
def admin_overview() -> dict[str, Any]:
    g = current()
    return curation.overview(g.image_index, g.engagement, url=g.store.url)
