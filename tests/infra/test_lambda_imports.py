"""The Lambda package holds only requirements.txt (plus the runtime's boto3): the deployed app
must import and run its AWS paths without any local-only package."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ONLY = ["numpy", "cv2", "mediapipe", "onnxruntime", "ai_edge_litert", "dlib", "skimage",
              "matplotlib", "moto", "selenium", "statelint", "cfnlint", "pytest"]

PROGRAM = f"""
import sys, importlib.abc
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {LOCAL_ONLY!r}:
            raise ImportError(f"{{name}} is not in the Lambda package")
sys.meta_path.insert(0, Refuse())
import os
os.environ.update(GARDEN_BACKEND="aws", GARDEN_BUCKET="b", GARDEN_TABLE="t", GARDEN_CDN_DOMAIN="d.net",
                  GARDEN_ENDPOINTS='["sagemaker:sd-1"]', GARDEN_TEXT2IMAGE_MACHINE="arn:t",
                  GARDEN_BULK_MACHINE="arn:b", AWS_DEFAULT_REGION="us-east-1",
                  AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")
import app
from chalicelib.web import context
from chalicelib.jobs import steps
context.current().store; context.current().image_index; context.current().job_store; context.current().generators; context.current().analyzer; context.current().workflow
from chalicelib.generators import checks  # the generate task's JPEG checks (Pillow)
print("ok", sorted(app.app.routes))
"""


def test_the_app_imports_and_builds_its_aws_adapters_with_lambdas_packages_only():
    result = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("ok") and "/emotion" in result.stdout


def test_each_function_loads_only_what_it_runs():
    """The worst offenders stay out: no task or event Lambda loads the take-home page's
    renderer, the zones use case or another feature's routes; the API loads the page renderer
    and the zones use case only when a page or a zone is asked for."""
    from bench.bench_lambdas import LAMBDA_ENV, NOT_IN_TASKS, PROGRAM, handlers
    found = handlers()
    assert found["api_handler"] == "app.app"
    for name, handler in found.items():
        result = subprocess.run([sys.executable, "-c", PROGRAM, handler], cwd=ROOT, env=LAMBDA_ENV,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        modules = __import__("json").loads(result.stdout)["modules"]
        if name == "api_handler":
            assert not {"chalicelib.web.share_page", "chalicelib.zones", "segno"} & set(modules)
        else:
            assert handler.startswith("chalicelib.web.routes.tasks."), (name, handler)
            assert not [m for m in modules if m.startswith(NOT_IN_TASKS)], name
