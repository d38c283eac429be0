"""Shared fixtures: every test runs with its own data directory and fake AWS credentials,
so nothing reaches a real account or the developer's ./.garden."""
from __future__ import annotations

import chalice.test
import pytest

# Chalice's test client defaults to the `dev` stage, whose environment points at AWS. Tests run
# the embedded stand-ins unless they choose a stage themselves.
chalice.test.Client.__init__.__defaults__ = ("local", ".")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name in ("GARDEN_BACKEND", "GARDEN_ENDPOINTS", "GARDEN_ADMIN_KEY", "GARDEN_BUCKET",
                 "GARDEN_TABLE", "GARDEN_CDN_DOMAIN", "GARDEN_ANALYZER", "GARDEN_PUBLIC_URL",
                 "GARDEN_FACE_READING", "GARDEN_METRICS", "GARDEN_STAGE", "GARDEN_GROW",
                 "GARDEN_GROW_PER_DAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GARDEN_DATA_DIR", str(tmp_path / "garden"))
    monkeypatch.setenv("GARDEN_DEMO", "0")
    from chalicelib.web import context
    from chalicelib.web import admin
    context.forget()
    admin.TEXT2IMAGE_LIMIT.reset()
    admin.GROW_LIMIT.reset()
    yield
    context.forget()


@pytest.fixture(autouse=True)
def _logging_restored():
    """What a test (the CLI's set-up, above all) does to the product's and the root logger's
    handlers, level and propagation is undone after it, so no test depends on which ran first."""
    import logging
    loggers = [logging.getLogger("emotion_garden"), logging.getLogger()]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.fixture
def client():
    """Chalice's test client on the `local` stage (its environment: the embedded stand-ins)."""
    from chalice.test import Client

    from app import app
    with Client(app, stage_name="local") as test_client:
        yield test_client


@pytest.fixture
def rekognition(monkeypatch):
    """The app's face analyzer made Rekognition's, its client under botocore's Stubber: the
    test queues DetectFaces answers on the stub it gets."""
    import boto3
    from botocore.stub import Stubber

    from chalicelib.web import context
    from chalicelib.faces.rekognition import RekognitionAnalyzer
    rek = boto3.client("rekognition", region_name="us-east-1")
    analyzer = RekognitionAnalyzer(rek)
    context.override(analyzer=analyzer)
    with Stubber(rek) as stub:
        yield stub
