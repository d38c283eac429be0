"""The Lambda package as Chalice's own packager builds it (manylinux wheels from PyPI): small,
and without a second botocore — the runtime's boto3/botocore are used, and Powertools with
the X-Ray SDK come from the Powertools layer the deploy tool configures."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, deploy

LIMIT = 10 * 1024 * 1024
RUNTIME_OR_LAYER = ("boto3", "botocore", "s3transfer", "aws_xray_sdk", "aws_lambda_powertools")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
    (project / ".chalice").mkdir()
    for name in ("app.py", "requirements.txt", ".chalice/config.json"):
        shutil.copy(ROOT / name, project / name)
    from chalice.deploy.packager import DependencyBuilder, LambdaDeploymentPackager
    from chalice.utils import UI, OSUtils
    osutils = OSUtils()
    packager = LambdaDeploymentPackager(
        osutils=osutils, ui=UI(), architecture=deploy.ARCHITECTURE,
        dependency_builder=DependencyBuilder(osutils=osutils, architecture=deploy.ARCHITECTURE))
    return Path(packager.create_deployment_package(str(project), deploy.PYTHON))


@pytest.mark.timeout(600)
def test_the_package_is_under_10_mb_and_carries_no_botocore(package):
    names = zipfile.ZipFile(package).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert not [top for top in tops if top.split("-", 1)[0] in RUNTIME_OR_LAYER], sorted(tops)
    assert package.stat().st_size <= LIMIT, f"{package.stat().st_size / 1e6:.1f} MB"
    assert "app.py" in tops and "chalicelib" in tops and "PIL" in tops and "segno" in tops


def test_each_stage_takes_powertools_from_the_layer_for_its_region_and_architecture():
    config = deploy.chalice_stage({"stages": {}}, "dev", {"GARDEN_BUCKET": "b"}, "eu-west-1")
    stage = config["stages"]["dev"]
    assert stage["lambda_architecture"] == deploy.ARCHITECTURE
    assert stage["layers"] == [
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-"
        f"{deploy.ARCHITECTURE}:{deploy.POWERTOOLS_LAYER_VERSION}"]
    assert deploy.powertools_layer("us-east-1", "arm64").endswith("-python312-arm64:27")
    for bad in ("not-a-region", "cn-north-1"):
        with pytest.raises(deploy.DeployError):
            deploy.powertools_layer(bad)
