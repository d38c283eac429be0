"""Emotion Garden's Chalice app: the app object, its middleware and its routes, registered by
feature from ``chalicelib.web.routes`` (garden, share, emotion, jobs, pool, zones; the
workflow's task Lambdas and the S3 object-event handler in ``tasks``). Each route parses its
request, calls one use case with the adapters the composition root (``chalicelib.bootstrap``)
built, and lets ``chalicelib.web`` turn the outcome or the domain error into an HTTP answer.

A route is declared with ``routes.route`` (public) or ``routes.admin_route`` (the API key and
the admin check together), never with a Blueprint's own ``route``.
"""
from __future__ import annotations

from chalicelib import logs
from chalicelib.web import edge
from chalicelib.web.edge import ThreadSafeChalice, correlate, uniform_errors
from chalicelib.web.routes import emotion, garden, jobs, pool, share, tasks, zones

app = ThreadSafeChalice(app_name="emotion-garden")
app.api.binary_types.extend(["image/jpeg", "image/jpg", "image/pjpeg", "image/png", "application/octet-stream"])
logs.configure()
app.register_middleware(edge.standard_headers, "http")   # JSON charset, Retry-After
app.register_middleware(uniform_errors, "http")
app.register_middleware(correlate, "http")

for feature in (garden, share, emotion, jobs, pool, zones, tasks):
    app.register_blueprint(feature.routes)
