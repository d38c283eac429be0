"""The visitor's garden and its likes: ``GET|POST /garden`` (and the original's
``POST /gardenfromDB``), ``GET /favorites``, ``POST /like``, ``POST /impressions``."""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from ... import garden
from ..context import current
from ..edge import json_body
from . import route

routes = Blueprint(__name__)


@route(routes, "/garden", methods=["GET", "HEAD"])
def garden_get() -> dict[str, Any]:
    g = current()
    query = garden.GardenQuery.from_params(routes.current_request.query_params or {},
                                           gender=g.settings.context_gender)
    return garden.garden(g.image_index, g.engagement, g.store.url, query)


@route(routes, "/garden", methods=["POST"])
def garden_post() -> dict[str, Any]:
    # the original kiosk's body: {"id", "emotion", "generation", "gender"}
    g = current()
    query = garden.GardenQuery.from_params(json_body(routes.current_request),
                                           gender=g.settings.context_gender)
    return garden.garden(g.image_index, g.engagement, g.store.url, query)


@route(routes, "/gardenfromDB", methods=["POST"])
def garden_from_db() -> dict[str, Any]:
    # another of the original's pages: {"emotion": "happy[/favorite]"}, answered as POST /garden
    return garden_post()


@route(routes, "/favorites", methods=["GET", "HEAD"])
def favorites_get() -> dict[str, Any]:
    return garden.favorites(current().image_index, routes.current_request.query_params or {})


@route(routes, "/like", methods=["POST"])
def like() -> dict[str, Any]:
    g = current()
    return garden.like(g.engagement, json_body(routes.current_request), g.settings.context_gender)


@route(routes, "/impressions", methods=["POST"])
def impressions() -> dict[str, Any]:
    # {"id": visit id, "itemIds": [...], "context": {"emotion", "generation", "favorite"}}
    g = current()
    return garden.impressions(g.engagement, json_body(routes.current_request),
                              g.settings.context_gender)
