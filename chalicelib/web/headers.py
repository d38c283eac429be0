"""The pages' security headers, one policy for every answer a browser gets from us: the local
site (``wsgi``) and the pages the API makes (the take-home page) send them; in AWS
CloudFront's response headers policy (infra/template.yaml) gives the same."""
from __future__ import annotations

from urllib.parse import urlsplit

# No inline script or style anywhere in html/ (tests/api/test_edge_policies.py checks it).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob:{images}; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "camera=(self), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def content_security_policy(public_url: str) -> str:
    """The pages' policy; images may also come from GARDEN_PUBLIC_URL's origin (a CDN)."""
    parts = urlsplit(public_url)
    extra = f" {parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
    return CONTENT_SECURITY_POLICY.format(images=extra)
