"""The take-home page of a garden image and its QR code: ``GET /share/{EMOTION}/[{favorite}/]{name}``,
``…/qr.svg`` and the original's ``GET /image?content=KEY``.

One segment per parameter: API Gateway allows one variable per level, so the favorite and the
name share ``{first}/{second}``; ``rules/share.py`` says how a key's segments are written."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from chalice.app import Blueprint, Response

from ... import config
from ...errors import NotFound
from ...rules import share as share_rules
from ..context import current
from ..edge import header
from . import route

routes = Blueprint(__name__)


def _language() -> str:
    request = routes.current_request
    params: Mapping[str, str] = request.query_params or {}
    return share_rules.choose_language(params.get("lang"),
                                       header(request, "accept-language"))


def _share_page(keys: Callable[[], list[str]]) -> Response:
    g, language = current(), _language()
    settings = g.settings
    origin = config.links_origin(settings)   # the public URL, or the address this request used
    from ... import share   # the take-home page's use case: loaded by its requests
    try:
        page = share.share_page(g.image_index, g.store.url, keys(),
                                public_url=origin, credits=settings.credits, language=language)
    except NotFound:
        from .. import share_page   # page-only: loaded by the first page asked for
        return share_page.not_found_response(language, origin)
    from .. import share_page
    return share_page.page_response(page, origin)


def _share_qr(segments: list[str]) -> Response:
    g = current()
    origin = config.links_origin(g.settings)
    from ... import share
    keys = _keys(segments) if len(segments) == 2 else [share_rules.key_from_share(segments)]
    target = share.qr_target(g.image_index, keys, origin)
    from .. import share_page
    return share_page.qr_response(target, origin)


@route(routes, "/image", methods=["GET", "HEAD"])
def share_original() -> Response:
    # the original's branded page per image: /image?content=KEY
    params: Mapping[str, str] = routes.current_request.query_params or {}
    content = params.get("content")
    return _share_page(lambda: share_rules.keys_from_content(content))


def _keys(segments: list[str]) -> list[str]:
    """The keys a two-segment take-home path names: a grown flower's (``/share/grown/{job}``,
    read from its job) or a garden image's."""
    job_id = share_rules.grown_job(segments)
    if job_id is not None:
        from ... import share
        return share.grown_keys(current().job_store, job_id)
    return [share_rules.key_from_share(segments)]


@route(routes, "/share/{emotion}/{first}", methods=["GET", "HEAD"])
def share_get(emotion: str, first: str) -> Response:
    return _share_page(lambda: _keys([emotion, first]))


@route(routes, "/share/{emotion}/{first}/{second}", methods=["GET", "HEAD"])
def share_favorite_get(emotion: str, first: str, second: str) -> Response:
    return _share_page(lambda: [share_rules.key_from_share([emotion, first, second])])


@route(routes, "/share/{emotion}/{first}/qr.svg", methods=["GET", "HEAD"])
def share_qr(emotion: str, first: str) -> Response:
    return _share_qr([emotion, first])


@route(routes, "/share/{emotion}/{first}/{second}/qr.svg", methods=["GET", "HEAD"])
def share_favorite_qr(emotion: str, first: str, second: str) -> Response:
    return _share_qr([emotion, first, second])
