"""Protection is declared once: every route is declared with ``routes.route`` (public) or
``routes.admin_route`` (API Gateway's key and the local admin check together), and a route
that needs the API key is exactly one with the admin check. A route declared with Chalice's
own ``route`` — ``api_key_required=True`` without the check, or no error mapping — fails here."""
from __future__ import annotations

import pytest
from chalice.app import Blueprint, Chalice

from chalicelib.web.routes import ADMIN, PUBLIC, admin_route, protection, route


def undeclared(app: Chalice) -> list[str]:
    """Each route whose declaration is missing or disagrees with its API key requirement."""
    problems = []
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            declared = protection(entry.view_function)
            if declared not in (PUBLIC, ADMIN):
                problems.append(f"{method} {path}: not declared with route or admin_route")
            elif bool(entry.api_key_required) != (declared == ADMIN):
                problems.append(f"{method} {path}: api_key_required={entry.api_key_required} "
                                f"but declared {declared}")
    return problems


def test_every_route_of_the_app_declares_its_protection_once():
    from app import app
    assert app.routes and undeclared(app) == []


def test_the_admin_routes_are_the_ones_that_need_the_key():
    from app import app
    admin = {(m, p) for p, ms in app.routes.items() for m, e in ms.items()
             if protection(e.view_function) == ADMIN}
    keyed = {(m, p) for p, ms in app.routes.items() for m, e in ms.items() if e.api_key_required}
    assert admin == keyed and ("POST", "/bulk") in admin and ("GET", "/zones") in admin


def test_a_route_declared_with_chalices_own_decorator_is_caught():
    app = Chalice(app_name="check")

    @app.route("/secret", methods=["GET"], api_key_required=True)
    def secret() -> dict:
        return {}

    @app.route("/plain", methods=["GET"])
    def plain() -> dict:
        return {}

    assert sorted(undeclared(app)) == ["GET /plain: not declared with route or admin_route",
                                       "GET /secret: not declared with route or admin_route"]


def test_the_decorators_mark_and_register_what_they_declare():
    app, routes = Chalice(app_name="check"), Blueprint(__name__)

    @admin_route(routes, "/admin-thing", methods=["GET", "HEAD"])
    def admin_thing() -> dict:
        return {}

    @route(routes, "/public-thing", methods=["POST"])
    def public_thing() -> dict:
        return {}

    app.register_blueprint(routes)
    assert undeclared(app) == []
    assert app.routes["/admin-thing"]["HEAD"].api_key_required is True
    assert not app.routes["/public-thing"]["POST"].api_key_required


def test_a_public_route_cannot_ask_for_the_key():
    with pytest.raises(ValueError, match="admin_route"):
        route(Blueprint(__name__), "/oops", api_key_required=True)
