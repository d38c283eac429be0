"""Emotion Garden's Chalice app: routes and Lambda shells only. Each parses its request, calls
one use case with the adapters the composition root (chalicelib.bootstrap) built, and lets
chalicelib.web turn the outcome or the domain error into an HTTP answer.

Sections: the garden and likes; the take-home page and its QR code; object events (the image index's only writer); emotion
analysis; text-to-image and jobs (the workflow's task Lambdas included); image pools (admin);
display zones.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Response
from chalice.app import S3Event

from chalicelib import bootstrap, config, curation, garden, indexer, logs, photos, share, zones
from chalicelib.errors import NotFound
from chalicelib.faces.service import analyze_photo
from chalicelib.jobs import bulk, lifecycle, text2image
from chalicelib.rules import original, validation
from chalicelib.rules import share as share_rules
from chalicelib.rules.times import utc_now
from chalicelib.rules.zones import zone_number
from chalicelib.web import admin, conditional, edge, share_page
from chalicelib.web.edge import (
    ThreadSafeChalice,
    correlate,
    handled,
    header,
    json_body,
    uniform_errors,
)

app = ThreadSafeChalice(app_name="emotion-garden")
app.api.binary_types.extend(["image/jpeg", "image/jpg", "image/pjpeg", "image/png", "application/octet-stream"])
logs.configure()
app.register_middleware(edge.standard_headers, "http")   # JSON charset, Retry-After
app.register_middleware(uniform_errors, "http")
app.register_middleware(correlate, "http")


# --- the garden and likes ---------------------------------------------------------------------
@app.route("/garden", methods=["GET", "HEAD"])
@handled
def garden_get() -> dict[str, Any]:
    query = garden.GardenQuery.from_params(app.current_request.query_params or {},
                                           gender=bootstrap.settings().context_gender)
    return garden.garden(bootstrap.image_index(), bootstrap.store().url, query)


@app.route("/garden", methods=["POST"])
@handled
def garden_post() -> dict[str, Any]:
    # the original kiosk's body: {"id", "emotion", "generation", "gender"}
    query = garden.GardenQuery.from_params(json_body(app.current_request),
                                           gender=bootstrap.settings().context_gender)
    return garden.garden(bootstrap.image_index(), bootstrap.store().url, query)


@app.route("/gardenfromDB", methods=["POST"])
@handled
def garden_from_db() -> dict[str, Any]:
    # another of the original's pages: {"emotion": "happy[/favorite]"}, answered as POST /garden
    answer: dict[str, Any] = garden_post()
    return answer


@app.route("/favorites", methods=["GET", "HEAD"])
@handled
def favorites_get() -> dict[str, Any]:
    return garden.favorites(bootstrap.image_index(), app.current_request.query_params or {})


@app.route("/like", methods=["POST"])
@handled
def like() -> dict[str, Any]:
    return garden.like(bootstrap.image_index(), json_body(app.current_request),
                       bootstrap.settings().context_gender)


@app.route("/impressions", methods=["POST"])
@handled
def impressions() -> dict[str, Any]:
    # {"id": visit id, "itemIds": [...], "context": {"emotion", "generation", "favorite"}}
    return garden.impressions(bootstrap.image_index(), json_body(app.current_request),
                              bootstrap.settings().context_gender)


# --- the take-home page and its QR code -------------------------------------------------------
# /share/{EMOTION}/[{favorite}/]{name}: one segment per parameter (API Gateway allows one
# variable per level, so the favorite and the name share {first}/{second}); see
# chalicelib/rules/share.py for how a key's segments are written.
def _language() -> str:
    request = app.current_request
    return share_rules.choose_language((request.query_params or {}).get("lang"),
                                       header(request, "accept-language"))


def _share_page(keys: Callable[[], list[str]]) -> Response:
    settings, language = bootstrap.settings(), _language()
    origin = config.links_origin(settings)   # the public URL, or the address this request used
    try:
        page = share.share_page(bootstrap.image_index(), bootstrap.store().url, keys(),
                                public_url=origin, credits=settings.credits, language=language)
    except NotFound:
        return share_page.not_found_response(language, origin)
    return share_page.page_response(page, origin)


def _share_qr(segments: list[str]) -> Response:
    origin = config.links_origin(bootstrap.settings())
    target = share.qr_target(bootstrap.image_index(), [share_rules.key_from_share(segments)],
                             origin)
    return share_page.qr_response(target, origin)


@app.route("/image", methods=["GET", "HEAD"])
@handled
def share_original() -> Response:
    # the original's branded page per image: /image?content=KEY
    content = (app.current_request.query_params or {}).get("content")
    return _share_page(lambda: share_rules.keys_from_content(content))


@app.route("/share/{emotion}/{first}", methods=["GET", "HEAD"])
@handled
def share_get(emotion: str, first: str) -> Response:
    return _share_page(lambda: [share_rules.key_from_share([emotion, first])])


@app.route("/share/{emotion}/{first}/{second}", methods=["GET", "HEAD"])
@handled
def share_favorite_get(emotion: str, first: str, second: str) -> Response:
    return _share_page(lambda: [share_rules.key_from_share([emotion, first, second])])


@app.route("/share/{emotion}/{first}/qr.svg", methods=["GET", "HEAD"])
@handled
def share_qr(emotion: str, first: str) -> Response:
    return _share_qr([emotion, first])


@app.route("/share/{emotion}/{first}/{second}/qr.svg", methods=["GET", "HEAD"])
@handled
def share_favorite_qr(emotion: str, first: str, second: str) -> Response:
    return _share_qr([emotion, first, second])


# --- object events: the image index's only writer ---------------------------------------------
# S3 invokes index_objects for every image written or removed; locally the folder store hands
# its events to the same bootstrap.index_notification, in-process.
@app.on_s3_event(bucket=config.event_bucket(), events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                 suffix=".jpeg", name="index_objects")
def index_objects(event: S3Event) -> None:
    bootstrap.index_notification(event.to_dict())


# --- emotion analysis -------------------------------------------------------------------------
PHOTO_TYPES = ["image/jpeg", "image/jpg", "image/pjpeg", "image/png", "application/octet-stream"]


@app.route("/emotion", methods=["POST"], content_types=PHOTO_TYPES)
@handled
def emotion() -> dict[str, Any]:
    # The photo is analyzed and forgotten: it reaches no store, file or log — unless an
    # operator turned on the debug setting GARDEN_KEEP_PHOTOS_DAYS (see chalicelib/photos.py).
    request, settings = app.current_request, bootstrap.settings()
    keep = photos.keeper(bootstrap.store(), settings.keep_photos_days, settings.bucket or "local") \
        if settings.keep_photos_days else None
    # at most two photos in flight per client address, and a bounded queue for them all:
    # the garden's other routes keep the server's threads while photos wait
    reading = analyze_photo(request.raw_body or b"", header(request, "content-type"),
                            bootstrap.analyzer(), header(request, "x-user-id"), keep,
                            client=admin.client_id(request))
    # zones that follow the kiosk: the emotion and the time only; never fails the reading
    zones.record_reading(bootstrap.zone_store, reading.get("emotions"))
    return reading


# --- text-to-image and jobs (workflow) ---------------------------------------------------
@app.route("/text2image", methods=["POST"])
@handled
def text2image_post() -> Response:
    settings = bootstrap.settings()
    admin.rate_limit(admin.client_id(app.current_request), settings)  # API Gateway throttles in AWS
    return edge.text2image_response(text2image.run(
        json_body(app.current_request), jobs=bootstrap.job_store(), engine=bootstrap.workflow(),
        endpoints=settings.endpoints, wait_seconds=settings.wait_seconds), bootstrap.store().url)


@app.route("/jobs/{job_id}", methods=["GET", "HEAD"])
@handled
def job_get(job_id: str) -> dict[str, Any]:
    return edge.public_job(lifecycle.get_job(validation.job_id(job_id),
                                             jobs=bootstrap.job_store(),
                                             engine=bootstrap.workflow()),
                            bootstrap.store().url)


@app.route("/jobs", methods=["GET", "HEAD"], api_key_required=True)
@handled
def jobs_list() -> dict[str, Any]:
    _admin()
    return lifecycle.list_jobs(app.current_request.query_params or {}, jobs=bootstrap.job_store())


@app.route("/jobs/{job_id}/cancel", methods=["POST"], api_key_required=True)
@handled
def job_cancel(job_id: str) -> dict[str, Any]:
    _admin()
    return lifecycle.cancel_job(validation.job_id(job_id), jobs=bootstrap.job_store(),
                                engine=bootstrap.workflow())


# The workflows' tasks: Step Functions invokes these Lambdas (statemachine/generate.asl.json
# names them); locally the workflow engine calls the same bootstrap.tasks() table.
def _task(name: str, event: dict[str, Any]) -> dict[str, Any]:
    return bootstrap.tasks()[name](event)


@app.lambda_function(name="workflow_plan_text2image")
def workflow_plan_text2image(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _task("workflow_plan_text2image", event)


@app.lambda_function(name="workflow_plan_bulk")
def workflow_plan_bulk(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _task("workflow_plan_bulk", event)


@app.lambda_function(name="workflow_generate")
def workflow_generate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _task("workflow_generate", event)


@app.lambda_function(name="workflow_record_error")
def workflow_record_error(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _task("workflow_record_error", event)


@app.lambda_function(name="workflow_finish")
def workflow_finish(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _task("workflow_finish", event)


# --- image pools (admin) ----------------------------------------------------------------------
# Admin routes: API Gateway checks the API key in AWS (api_key_required); locally
# admin.require_admin compares x-api-key with GARDEN_ADMIN_KEY in constant time.
def _admin() -> None:
    admin.require_admin(app.current_request.headers, bootstrap.settings())


@app.route("/bulk", methods=["POST"], api_key_required=True)
@handled
def bulk_post() -> Response:
    _admin()
    body = json_body(app.current_request)
    if original.is_original_bulk(body):   # the original's {"index", "prompt", "fname"}
        body = original.bulk_body(body)
    return edge.accepted(bulk.start_bulk(body, jobs=bootstrap.job_store(),
                                         engine=bootstrap.workflow(),
                                         endpoints=bootstrap.settings().endpoints))


@app.route("/pool", methods=["GET", "HEAD"], api_key_required=True)
@handled
def pool_get() -> dict[str, Any]:
    _admin()
    # awaiting review: short-lived links (S3 presigned in AWS, where CloudFront denies pool/*)
    return curation.pool_page(bootstrap.image_index(), curation.private_url(bootstrap.store()),
                              app.current_request.query_params or {})


@app.route("/pool/publish", methods=["POST"], api_key_required=True)
@handled
def pool_publish() -> dict[str, Any]:
    _admin()
    keys = curation.parse_keys(json_body(app.current_request))
    return edge.key_results(curation.publish(bootstrap.store(), keys))


@app.route("/remove", methods=["POST"], api_key_required=True)
@handled
def remove_post() -> dict[str, Any]:
    _admin()
    body = json_body(app.current_request)
    if original.is_original_remove(body):   # the original's {"objName": [...] | "<JSON>"}
        body = original.remove_body(body)
    return edge.key_results(curation.remove(bootstrap.store(), curation.parse_keys(body)))


# The original's pool page: list a pool (POST /retrieve), remove pool images (POST /removePool),
# clear index entries (POST /clearIndex; here the index follows the store, so the named keys'
# entries are brought back in line with it). Its bodies are read by rules/original.py; its
# answers keep its envelope.
@app.route("/retrieve", methods=["POST"], api_key_required=True)
@handled
def retrieve_post() -> dict[str, Any]:
    _admin()
    page = curation.pool_page(bootstrap.image_index(), curation.private_url(bootstrap.store()),
                              original.retrieve_params(json_body(app.current_request)))
    urls = [item["url"] for orientation in ("landscape", "portrait") for item in page[orientation]]
    return original.envelope({**page, "urls": urls}, urls)


@app.route("/removePool", methods=["POST"], api_key_required=True)
@handled
def remove_pool_post() -> dict[str, Any]:
    _admin()
    keys = curation.parse_keys(original.remove_body(json_body(app.current_request)))
    removed = iter(curation.remove(bootstrap.store(),
                                   [key for key in keys if original.is_pool_key(key)]).results)
    refused = {"message": "not a pool image: removePool removes images awaiting review "
                          "(imgPool/… or pool/…)"}
    results = curation.KeyResults([next(removed) if original.is_pool_key(key) else
                                   curation.KeyResult(key, curation.KeyOutcome.REFUSED, refused)
                                   for key in keys])
    answer = edge.key_results(results)
    return original.envelope(answer, answer["results"])


@app.route("/clearIndex", methods=["POST"], api_key_required=True)
@handled
def clear_index_post() -> dict[str, Any]:
    _admin()
    keys = curation.parse_keys(original.remove_body(json_body(app.current_request)))
    store, index = bootstrap.store(), bootstrap.image_index()
    results = [indexer.reindex_key(store, index, key, utc_now()) for key in keys]
    answer = {"results": results, "succeeded": sum(r["status"] == 200 for r in results),
              "failed": sum(r["status"] != 200 for r in results)}
    return original.envelope(answer, results)


@app.route("/admin/overview", methods=["GET", "HEAD"], api_key_required=True)
@handled
def admin_overview() -> dict[str, Any]:
    _admin()
    return curation.overview(bootstrap.image_index(), url=bootstrap.store().url)


# --- display zones ----------------------------------------------------------------------------
# What each wall screen shows (chalicelib/zones.py): the screens read GET /zones/{n} (public,
# ETag → 304); the operator sets zones with the admin key.
@app.route("/zones/{zone}", methods=["GET", "HEAD"])
@handled
def zone_get(zone: str) -> Response:
    found = zones.answer(bootstrap.zone_store(), bootstrap.image_index(), bootstrap.store().url,
                         zone_number(zone))
    return conditional.versioned(found, found["version"], app.current_request.headers)


@app.route("/zones", methods=["GET", "HEAD"], api_key_required=True)
@handled
def zones_list() -> dict[str, Any]:
    _admin()
    return zones.list_zones(bootstrap.zone_store())


@app.route("/zones/{zone}", methods=["PUT"], api_key_required=True)
@handled
def zone_put(zone: str) -> dict[str, Any]:
    _admin()
    number = zone_number(zone)
    return zones.put_zone(bootstrap.zone_store(), bootstrap.image_index(), number,
                          json_body(app.current_request))


@app.route("/zones/{zone}", methods=["DELETE"], api_key_required=True)
@handled
def zone_delete(zone: str) -> dict[str, Any]:
    _admin()
    return zones.delete_zone(bootstrap.zone_store(), zone_number(zone))


@app.route("/updateDisplay", methods=["POST"], api_key_required=True)
@handled
def update_display() -> dict[str, Any]:
    _admin()   # the original system's body: {"zone", "landscape": [...], "portrait": [...]}
    return zones.update_display(bootstrap.zone_store(), bootstrap.image_index(),
                                bootstrap.store().url, json_body(app.current_request))
