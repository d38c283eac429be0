"""The app's routes by feature, each module a Chalice Blueprint that ``app.py`` registers:
``garden`` (the garden, favorites, likes, impressions), ``share`` (the take-home page and its
QR code), ``emotion`` (photo analysis), ``jobs`` (text to image, bulk, job status, list and
cancel), ``pool`` (review, publish, remove; the original's pool page), ``zones`` (the wall
screens) and ``tasks`` (the Lambdas that are not HTTP: the workflow's tasks and object events).

A route is declared with one of two decorators, never with a Blueprint's own ``route``:

- ``route``: a public route; domain errors become statuses (``web.edge.handled``);
- ``admin_route``: the same, plus API Gateway's API key (``api_key_required=True``) and, before
  the view runs, the local admin check (``web.admin.require_admin``) — protection declared
  once, so the gateway's key and the app's check cannot drift apart.

Each marks the view it registers (``PROTECTION``), and a test walks the app's routes: a route
without the mark, or whose mark disagrees with ``api_key_required``, fails it.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Blueprint

from .. import admin
from ..context import current
from ..edge import handled

View = TypeVar("View", bound=Callable[..., Any])
PROTECTION = "garden_protection"    # the attribute each declared view carries
PUBLIC, ADMIN = "public", "admin"


def _declared(view: Callable[..., Any], protection: str) -> Callable[..., Any]:
    setattr(view, PROTECTION, protection)
    return view


def route(blueprint: Blueprint, path: str, **options: Any) -> Callable[[View], View]:
    """A public route: ``blueprint.route(path, **options)`` with the error mapping."""
    if options.get("api_key_required"):
        raise ValueError(f"{path}: a route that needs the API key is an admin_route")

    def declare(view: View) -> View:
        blueprint.route(path, **options)(_declared(handled(view), PUBLIC))
        return view
    return declare


def admin_route(blueprint: Blueprint, path: str, **options: Any) -> Callable[[View], View]:
    """An admin route: API Gateway's API key in AWS, the admin key checked here locally
    (before the view runs, inside the error mapping: 401/403), then the view."""
    def declare(view: View) -> View:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            admin.require_admin(blueprint.current_request.headers, current().settings)
            return view(*args, **kwargs)
        blueprint.route(path, api_key_required=True, **options)(
            _declared(handled(checked), ADMIN))
        return view
    return declare


def protection(view: Callable[..., Any]) -> str | None:
    """How a registered view was declared: PUBLIC, ADMIN, or None (not through this module)."""
    value = getattr(view, PROTECTION, None)
    return value if isinstance(value, str) else None
