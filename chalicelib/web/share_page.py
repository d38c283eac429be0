"""The take-home page as HTML and its QR code as SVG (the web edge of chalicelib/share.py).

Rendered on the server, so link previews (which run no script) find the Open Graph and
Twitter card tags in the HTML. The page holds no script at all and takes its style from
/css/, so the pages' strict Content-Security-Policy holds. Every value is escaped with
``html.escape`` (a favorite is an operator's text)."""
from __future__ import annotations

import io
from html import escape

from chalice.app import Response

from ..rules import share as words
from ..share import SharePage
from .headers import SECURITY_HEADERS, content_security_policy

HTML_TYPE = "text/html; charset=utf-8"
SVG_TYPE = "image/svg+xml; charset=utf-8"
PAGE_CACHE = "public, max-age=300"                # a removed image's page is gone within minutes
QR_CACHE = "public, max-age=31536000, immutable"  # a key's share URL never changes
MISSING_CACHE = "no-cache"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _meta(attribute: str, name: str, content: object) -> str:
    return f'<meta {attribute}="{_e(name)}" content="{_e(content)}">'


def render(page: SharePage) -> str:
    w = page.words
    description = w["description"]
    other_locale = words.LOCALES["en" if page.language == "ko" else "ko"]
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="dark">',
        f"<title>{_e(w['title'])}</title>",
        _meta("name", "description", description),
        f'<link rel="canonical" href="{_e(page.page_url)}">',
        f'<link rel="alternate" hreflang="en" href="{_e(page.page_url)}?lang=en">',
        f'<link rel="alternate" hreflang="ko" href="{_e(page.page_url)}?lang=ko">',
        '<link rel="icon" href="/favicon.svg" type="image/svg+xml">',
        '<link rel="stylesheet" href="/css/base.css">',
        '<link rel="stylesheet" href="/css/share.css">',
        _meta("property", "og:type", "website"),
        _meta("property", "og:site_name", w["site"]),
        _meta("property", "og:title", w["title"]),
        _meta("property", "og:description", description),
        _meta("property", "og:url", page.page_url),
        _meta("property", "og:locale", words.LOCALES[page.language]),
        _meta("property", "og:locale:alternate", other_locale),
        _meta("property", "og:image", page.image_url),
        *([_meta("property", "og:image:secure_url", page.image_url)]
          if page.image_url.startswith("https://") else []),
        _meta("property", "og:image:type", "image/jpeg"),
        _meta("property", "og:image:width", page.width),
        _meta("property", "og:image:height", page.height),
        _meta("property", "og:image:alt", w["alt"]),
        _meta("name", "twitter:card", "summary_large_image"),
        _meta("name", "twitter:title", w["title"]),
        _meta("name", "twitter:description", description),
        _meta("name", "twitter:image", page.image_url),
        _meta("name", "twitter:image:alt", w["alt"]),
    ]
    details = [("emotion", page.emotion_name)]
    if page.favorite_text:
        details.append(("favorite", page.favorite_text))
    rows = "".join(f'<dt>{_e(w[k])}</dt><dd data-field="{k}">{_e(v)}</dd>' for k, v in details)
    rows += (f'<dt>{_e(w["made"])}</dt><dd data-field="made">'
             f'<time datetime="{_e(page.created_at)}">{_e(page.made)}</time></dd>')
    credit = ""
    if page.credit:
        link = (f' <a href="{_e(page.credit.url)}" rel="license noopener noreferrer">{_e(page.credit.url)}</a>'
                if page.credit.url else "")
        credit = (f'<section class="credit" aria-labelledby="credit-title"><h2 id="credit-title">'
                  f'{_e(w["credit"])}</h2><p data-field="credit">{_e(page.credit.line)}{link}</p></section>')
    body = (
        f'<main class="share-card">'
        f'<p class="eyebrow">{_e(w["site"])}</p>'
        f'<h1>{_e(w["heading"])}</h1>'
        f'<figure class="flower"><img id="flower" src="{_e(page.image_url)}" width="{page.width}" '
        f'height="{page.height}" alt="{_e(w["alt"])}"></figure>'
        f'<div class="actions"><a id="download" class="button primary" href="{_e(page.image_url)}" '
        f'download="{_e(page.download_name)}">{_e(w["download"])}</a></div>'
        f'<dl class="details">{rows}</dl>'
        f'{credit}'
        f'<nav class="languages"><a id="other-language" href="{_e(page.other_url)}" '
        f'hreflang="{page.other_language}" lang="{page.other_language}">{_e(w["other"])}</a></nav>'
        f'</main>'
    )
    return (f'<!doctype html>\n<html lang="{page.language}">\n<head>\n' + "\n".join(head)
            + f'\n</head>\n<body class="share">\n{body}\n</body>\n</html>\n')


def render_not_found(language: str) -> str:
    title, line, hint = (words.text(language, k) for k in ("not_found_title", "not_found", "not_found_hint"))
    return (f'<!doctype html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="robots" content="noindex">\n'
            f'<title>{_e(title)}</title>\n<link rel="stylesheet" href="/css/base.css">\n'
            '<link rel="stylesheet" href="/css/share.css">\n</head>\n<body class="share">\n'
            f'<main class="share-card missing"><p class="eyebrow">{_e(words.text(language, "site"))}</p>'
            f'<h1>{_e(line)}</h1><p>{_e(hint)}</p></main>\n</body>\n</html>\n')


def qr_svg(url: str) -> str:
    """A QR code of ``url`` as SVG: dark modules on white with the standard quiet zone, error
    correction M (a screen's glare and a phone's angle leave it readable)."""
    import segno
    buffer = io.BytesIO()
    segno.make_qr(url, error="m", boost_error=False).save(
        buffer, kind="svg", scale=1, border=4, xmldecl=False, svgns=True, title="QR code",
        dark="#000", light="#fff", nl=False)
    return buffer.getvalue().decode("utf-8")


def _headers(public_url: str, kind: str, cache: str) -> dict[str, str | list[str]]:
    return {"Content-Type": kind, "Cache-Control": cache, **dict(SECURITY_HEADERS),
            "Content-Security-Policy": content_security_policy(public_url)}


def page_response(page: SharePage, public_url: str) -> Response:
    headers = _headers(public_url, HTML_TYPE, PAGE_CACHE)
    headers["Content-Language"] = page.language
    headers["Vary"] = "Accept-Language"
    return Response(body=render(page), status_code=200, headers=headers)


def not_found_response(language: str, public_url: str) -> Response:
    headers = _headers(public_url, HTML_TYPE, MISSING_CACHE)
    headers["Content-Language"] = language
    return Response(body=render_not_found(language), status_code=404, headers=headers)


def qr_response(url: str, public_url: str) -> Response:
    return Response(body=qr_svg(url), status_code=200, headers=_headers(public_url, SVG_TYPE, QR_CACHE))
