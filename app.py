"""Emotion Garden's Chalice app: parse, call one service, map domain errors to HTTP errors.

Sections: the HTTP API helpers; the garden and likes; object events (the catalog's only
writer); emotion analysis; text-to-image and jobs (Step Functions tasks included); image
pools (admin).
"""
from __future__ import annotations

import os

from chalicelib import bootstrap, garden, indexer, logs
from chalicelib.http import ThreadSafeChalice, handled, json_body

app = ThreadSafeChalice(app_name="emotion-garden")
app.api.binary_types.extend(["image/jpeg", "image/png", "application/octet-stream"])
logs.configure()

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
    return garden.like(bootstrap.catalog(), json_body(app.current_request), bootstrap.settings().public_url)


# --- object events: the catalog's only writer -------------------------------------------------
@app.on_s3_event(bucket=BUCKET, events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                 suffix=".jpeg", name="index_objects")
def index_objects(event):
    indexer.handle_event(event.to_dict(), bootstrap.store(), bootstrap.catalog())


# Locally the folder store hands its events to the same handler, in-process.
bootstrap.set_event_sink(lambda event: index_objects(event, None))

# --- text-to-image and jobs (workflow) ---------------------------------------------------
# --- end text-to-image and jobs -------------------------------------------------------------
