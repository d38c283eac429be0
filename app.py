"""Emotion Garden's Chalice app: parse, call one service, map domain errors to HTTP errors.

Sections: the HTTP API helpers; the garden and likes; object events (the catalog's only
writer); emotion analysis; text-to-image and jobs (Step Functions tasks included); image
pools (admin).
"""
from __future__ import annotations

import os

from chalice import Response

from chalicelib import admin, bootstrap, garden, indexer, logs, photos, pools, tasks, text2image
from chalicelib.faces.service import analyze_photo
from chalicelib.http import ThreadSafeChalice, correlate, handled, header, json_body, uniform_errors

app = ThreadSafeChalice(app_name="emotion-garden")
app.api.binary_types.extend(["image/jpeg", "image/jpg", "image/pjpeg", "image/png", "application/octet-stream"])
logs.configure()
app.register_middleware(uniform_errors, "http")
app.register_middleware(correlate, "http")

# S3 invokes index_objects for every image written or removed; the bucket's name is known when
# `chalice deploy` imports this module (make deploy exports it from the stack's outputs).
BUCKET = os.environ.get("GARDEN_BUCKET", "emotion-garden-local")


# --- the garden and likes ---------------------------------------------------------------------
@app.route("/garden", methods=["GET"])
@handled
def garden_get():
    query = garden.GardenQuery.from_params(app.current_request.query_params or {})
    return garden.garden(bootstrap.catalog(), bootstrap.store().url, query)


@app.route("/garden", methods=["POST"])
@handled
def garden_post():
    # the original kiosk's body: {"id", "emotion", "generation", "gender"}
    query = garden.GardenQuery.from_params(json_body(app.current_request))
    return garden.garden(bootstrap.catalog(), bootstrap.store().url, query)


@app.route("/like", methods=["POST"])
@handled
def like():
    return garden.like(bootstrap.catalog(), json_body(app.current_request))


# --- object events: the catalog's only writer -------------------------------------------------
@app.on_s3_event(bucket=BUCKET, events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                 suffix=".jpeg", name="index_objects")
def index_objects(event):
    raw = event.to_dict()
    request_ids = [r.get("responseElements", {}).get("x-amz-request-id") for r in raw.get("Records", [])
                   if isinstance(r, dict)]
    with logs.correlated(next((r for r in request_ids if r), None)):
        indexer.handle_event(raw, bootstrap.store(), bootstrap.catalog())


# Locally the folder store hands its events to the same handler, in-process.
bootstrap.set_event_sink(lambda event: index_objects(event, None))

# --- emotion analysis -------------------------------------------------------------------------
PHOTO_TYPES = ["image/jpeg", "image/jpg", "image/pjpeg", "image/png", "application/octet-stream"]


@app.route("/emotion", methods=["POST"], content_types=PHOTO_TYPES)
@handled
def emotion():
    # The photo is analyzed and forgotten: it reaches no store, file or log — unless an
    # operator turned on the debug setting GARDEN_KEEP_PHOTOS_DAYS (see chalicelib/photos.py).
    request, settings = app.current_request, bootstrap.settings()
    keep = photos.keeper(bootstrap.store(), settings.keep_photos_days, settings.bucket or "local") \
        if settings.keep_photos_days else None
    return analyze_photo(request.raw_body or b"", header(request, "content-type"),
                         bootstrap.analyzer(), header(request, "x-user-id"), keep)


# --- text-to-image and jobs (workflow) ---------------------------------------------------
@app.route("/text2image", methods=["POST"])
@handled
def text2image_post():
    settings = bootstrap.settings()
    admin.rate_limit(admin.client_id(app.current_request), settings)  # API Gateway throttles in AWS
    status, body = text2image.text2image(
        json_body(app.current_request), catalog=bootstrap.catalog(), engine=bootstrap.workflow(),
        endpoints=settings.endpoints, wait_seconds=settings.wait_seconds)
    headers = {"Content-Type": "application/json"}
    if status == 202:
        headers["Location"] = body["statusUrl"]
    return Response(body=body, status_code=status, headers=headers)


@app.route("/jobs/{job_id}", methods=["GET"])
@handled
def job_get(job_id):
    return text2image.get_job(job_id, catalog=bootstrap.catalog(), engine=bootstrap.workflow())


# The workflows' tasks: Step Functions invokes these Lambdas (statemachine/*.asl.json names
# them); locally the workflow engine calls the same functions through tasks.TASKS.
@app.lambda_function(name="workflow_plan_text2image")
def workflow_plan_text2image(event, context):
    return tasks.plan_text2image(event, context)


@app.lambda_function(name="workflow_generate")
def workflow_generate(event, context):
    return tasks.generate(event, context)


@app.lambda_function(name="workflow_record_error")
def workflow_record_error(event, context):
    return tasks.record_error(event, context)


@app.lambda_function(name="workflow_finish")
def workflow_finish(event, context):
    return tasks.finish(event, context)


# --- end text-to-image and jobs -------------------------------------------------------------


# --- image pools (admin) ----------------------------------------------------------------------
# Admin routes: API Gateway checks the API key in AWS (api_key_required); locally
# admin.require_admin compares x-api-key with GARDEN_ADMIN_KEY in constant time.
def _admin() -> None:
    admin.require_admin(app.current_request.headers, bootstrap.settings())


@app.route("/bulk", methods=["POST"], api_key_required=True)
@handled
def bulk_post():
    _admin()
    body = pools.start_bulk(json_body(app.current_request), catalog=bootstrap.catalog(),
                            engine=bootstrap.workflow(), endpoints=bootstrap.settings().endpoints)
    return Response(body=body, status_code=202,
                    headers={"Content-Type": "application/json", "Location": body["statusUrl"]})


@app.route("/pool", methods=["GET"], api_key_required=True)
@handled
def pool_get():
    _admin()
    return pools.pool_page(bootstrap.catalog(), bootstrap.store().url,
                           app.current_request.query_params or {})


@app.route("/pool/publish", methods=["POST"], api_key_required=True)
@handled
def pool_publish():
    _admin()
    return pools.publish(bootstrap.store(), pools.parse_keys(json_body(app.current_request)))


@app.route("/remove", methods=["POST"], api_key_required=True)
@handled
def remove_post():
    _admin()
    return pools.remove(bootstrap.store(), pools.parse_keys(json_body(app.current_request)))


@app.route("/admin/overview", methods=["GET"], api_key_required=True)
@handled
def admin_overview():
    _admin()
    return pools.overview(bootstrap.catalog())


@app.lambda_function(name="workflow_plan_bulk")
def workflow_plan_bulk(event, context):
    return tasks.plan_bulk(event, context)


# --- end image pools --------------------------------------------------------------------------
