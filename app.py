"""Emotion Garden's Chalice app: parse, call one service, map domain errors to HTTP errors.

Sections: the HTTP API helpers; the garden and likes; object events (the catalog's only
writer); emotion analysis; text-to-image and jobs (Step Functions tasks included); image
pools (admin).
"""
from __future__ import annotations

from chalice import Chalice

app = Chalice(app_name="emotion-garden")

# --- text-to-image and jobs (workflow) ---------------------------------------------------
# --- end text-to-image and jobs -------------------------------------------------------------
