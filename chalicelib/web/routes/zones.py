"""What each wall screen shows (``chalicelib/zones.py``): the screens read ``GET /zones/{n}``
(public, ETag → 304); the operator lists, sets and clears zones, and the original system's
``POST /updateDisplay`` sets one."""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from ...rules.zones import zone_number
from .. import conditional
from ..context import current
from ..edge import json_body
from . import admin_route, route

routes = Blueprint(__name__)


@route(routes, "/zones/{zone}", methods=["GET", "HEAD"])
def zone_get(zone: str) -> Response:
    from ... import zones   # the zones use case: loaded by the first zone route
    g = current()
    found = zones.answer(g.zone_store, g.image_index, g.store.url, zone_number(zone))
    return conditional.versioned(found, found["version"], routes.current_request.headers)


@admin_route(routes, "/zones", methods=["GET", "HEAD"])
def zones_list() -> dict[str, Any]:
    from ... import zones   # the zones use case: loaded by the first zone route
    return zones.list_zones(current().zone_store)


@admin_route(routes, "/zones/{zone}", methods=["PUT"])
def zone_put(zone: str) -> dict[str, Any]:
    from ... import zones   # the zones use case: loaded by the first zone route
    number = zone_number(zone)
    g = current()
    return zones.put_zone(g.zone_store, g.image_index, number,
                          json_body(routes.current_request))


@admin_route(routes, "/zones/{zone}", methods=["DELETE"])
def zone_delete(zone: str) -> dict[str, Any]:
    from ... import zones   # the zones use case: loaded by the first zone route
    return zones.delete_zone(current().zone_store, zone_number(zone))


@admin_route(routes, "/updateDisplay", methods=["POST"])
def update_display() -> dict[str, Any]:
    from ... import zones   # the zones use case: loaded by the first zone route
    # the original system's body: {"zone", "landscape": [...], "portrait": [...]}
    g = current()
    return zones.update_display(g.zone_store, g.image_index, g.store.url,
                                json_body(routes.current_request))
