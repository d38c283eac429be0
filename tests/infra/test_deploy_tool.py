"""tools/deploy.py's offline parts: the stage's configuration from the stack's outputs, the
Chalice stage, the slim Lambda package, the site upload and the bucket emptying (under moto)."""
from __future__ import annotations

import json
import zipfile

import boto3
import pytest
from moto import mock_aws

from chalicelib import config
from tests.infra.conftest import ROOT, app_function_names, deploy, example_environment


def test_the_stage_environment_is_a_valid_aws_configuration():
    env = example_environment("prod")
    settings = config.load(env)
    assert settings.is_aws and settings.bucket == "emotion-garden-prod-123456789012-us-east-1"
    assert settings.public_url == "https://d111111abcdef8.cloudfront.net"
    assert settings.endpoints == ("sagemaker:jumpstart-SD-2-1", "sagemaker:jumpstart-sd-xl")
    assert settings.text2image_machine.endswith(":stateMachine:emotion-garden-prod-text2image")


def test_missing_outputs_or_endpoints_are_named():
    with pytest.raises(deploy.DeployError, match="CdnDomain"):
        deploy.stage_environment({"BucketName": "b"}, "dev")
    outputs = {k: "x" for k in ("BucketName", "TableName", "CdnDomain", "Text2ImageMachineArn",
                                "BulkMachineArn")}
    with pytest.raises(deploy.DeployError, match="ENDPOINTS="):
        deploy.stage_environment({**outputs, "EndpointNames": ""}, "dev")
    assert deploy.endpoint_uris("a, painter: ,,b") == ["sagemaker:a", "painter:", "sagemaker:b"]


def test_the_chalice_stage_sets_every_function_and_keeps_the_rest():
    original = json.loads((ROOT / ".chalice" / "config.json").read_text())
    updated = deploy.chalice_stage(original, "dev", {"GARDEN_BUCKET": "b"})
    assert updated["stages"]["local"] == original["stages"]["local"]
    dev = updated["stages"]["dev"]
    assert dev["environment_variables"]["GARDEN_BUCKET"] == "b"
    assert dev["environment_variables"]["GARDEN_BACKEND"] == "aws"
    assert dev["api_gateway_endpoint_type"] == "REGIONAL" and dev["xray"] is True
    # a deliberate limit for every Lambda the app deploys, and none for one it does not
    assert set(dev["lambda_functions"]) == app_function_names()
    assert all(set(v) == {"lambda_timeout", "lambda_memory_size"} for v in dev["lambda_functions"].values())
    # the API answers inside API Gateway's 29 s: /text2image's wait budget fits in its timeout
    assert dev["lambda_functions"]["api_handler"]["lambda_timeout"] >= config.load({}).wait_seconds


def test_the_committed_stages_are_ready_for_aws():
    stages = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]
    for name in ("dev", "prod"):
        stage = stages[name]
        assert stage["environment_variables"]["GARDEN_BACKEND"] == "aws"
        assert stage["api_gateway_endpoint_type"] == "REGIONAL" and stage["xray"] is True
        assert set(stage["lambda_functions"]) == app_function_names()


def test_slim_package_drops_what_the_runtime_has(tmp_path):
    path = tmp_path / "package.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name in ("app.py", "chalicelib/__init__.py", "PIL/Image.py", "wrapt/__init__.py",
                     "botocore/client.py", "botocore-1.44.8.dist-info/METADATA", "six.py",
                     "dateutil/tz.py", "python_dateutil-2.9.0.dist-info/RECORD", "urllib3/x.py",
                     "jmespath/__init__.py", "s3transfer/__init__.py", "aws_xray_sdk/core.py"):
            z.writestr(name, "x")
    removed = deploy.slim_package(path)
    kept = sorted(zipfile.ZipFile(path).namelist())
    assert kept == ["PIL/Image.py", "app.py", "aws_xray_sdk/core.py", "chalicelib/__init__.py",
                    "wrapt/__init__.py"]
    assert "botocore" in removed and "six.py" in removed


def test_site_files_take_the_stages_config(tmp_path):
    html = tmp_path / "html"
    (html / "js").mkdir(parents=True)
    for name, text in {"index.html": "<p>", "config.js": "local", "config.prod.js": "prod",
                       "config.dev.js": "dev", "js/api.js": "x"}.items():
        (html / name).write_text(text)
    files = deploy.site_files(html, "prod")
    assert sorted(key for _, key in files) == ["config.js", "index.html", "js/api.js"]
    assert dict((key, path.read_text()) for path, key in files)["config.js"] == "prod"
    assert dict((k, p.read_text()) for p, k in deploy.site_files(tmp_path / "html", "staging"))["config.js"] == "local"
    assert deploy.cache_control("config.js") == "no-cache" == deploy.cache_control("admin/index.html")


def test_invalidation_paths_stay_few():
    assert deploy.invalidation_paths(["index.html", "config.js"]) == ["/", "/config.js", "/index.html"]
    assert deploy.invalidation_paths([f"js/{n}.js" for n in range(40)]) == ["/*"]


@mock_aws
def test_upload_and_empty_a_versioned_bucket():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="garden")
    s3.put_bucket_versioning(Bucket="garden", VersioningConfiguration={"Status": "Enabled"})
    keys = deploy.upload_site(s3, "garden", deploy.site_files(ROOT / "html", "dev"))
    assert "index.html" in keys and "config.js" in keys
    head = s3.head_object(Bucket="garden", Key="index.html")
    assert head["ContentType"] == "text/html; charset=utf-8" and head["CacheControl"] == "no-cache"
    s3.put_object(Bucket="garden", Key="emotions/HAPPY/ah.jpeg", Body=b"1")
    s3.put_object(Bucket="garden", Key="emotions/HAPPY/ah.jpeg", Body=b"2")  # a second version
    s3.delete_object(Bucket="garden", Key="emotions/HAPPY/ah.jpeg")         # a delete marker
    assert deploy.empty_bucket(s3, "garden") == len(keys) + 3
    assert "Versions" not in s3.list_object_versions(Bucket="garden")
    s3.delete_bucket(Bucket="garden")


def test_deployed_api_id_reads_chalices_record(tmp_path):
    assert deploy.deployed_api_id("dev", tmp_path) == ""
    (tmp_path / "deployed").mkdir()
    (tmp_path / "deployed" / "dev.json").write_text(json.dumps({"resources": [
        {"name": "api_handler", "resource_type": "lambda_function"},
        {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "a1b2c3d4e5",
         "rest_api_url": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/api/"}]}))
    assert deploy.deployed_api_id("dev", tmp_path) == "a1b2c3d4e5"


def test_destroy_deletes_nothing_without_the_stages_name(monkeypatch):
    calls = []
    monkeypatch.setattr(deploy, "_run", lambda *a, **k: calls.append(a))
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name="us-east-1")
        cloudformation.create_stack(StackName="emotion-garden-dev", TemplateBody=json.dumps({
            "Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "keep-me"}}},
            "Outputs": {"BucketName": {"Value": "keep-me"}, "TableName": {"Value": "t"}}}))
        with pytest.raises(deploy.DeployError, match="not confirmed"):
            deploy.destroy("dev", confirm=lambda prompt: "prod")
        assert calls == []
        assert boto3.client("s3", region_name="us-east-1").head_bucket(Bucket="keep-me")


def test_stages_are_checked():
    with pytest.raises(deploy.DeployError, match="dev, prod"):
        deploy.stack_name("production")
    assert deploy.main(["deploy", "--stage", "staging"]) == 2


def test_public_text2image_is_throttled_at_the_api_stage():
    patches = deploy.throttle_patches()
    assert {p["path"] for p in patches} == {"/~1text2image/POST/throttling/rateLimit",
                                            "/~1text2image/POST/throttling/burstLimit"}
    with mock_aws():  # the patch operations are ones API Gateway takes
        client = boto3.client("apigateway", region_name="us-east-1")
        api = client.create_rest_api(name="emotion-garden")["id"]
        root = client.get_resources(restApiId=api)["items"][0]["id"]
        resource = client.create_resource(restApiId=api, parentId=root, pathPart="text2image")["id"]
        client.put_method(restApiId=api, resourceId=resource, httpMethod="POST", authorizationType="NONE")
        client.put_integration(restApiId=api, resourceId=resource, httpMethod="POST", type="MOCK")
        client.create_deployment(restApiId=api, stageName="api")
        stage = client.update_stage(restApiId=api, stageName="api", patchOperations=patches)
        settings = stage["methodSettings"]["~1text2image/POST"]
        assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (2.0, 10)


def test_a_domain_goes_to_the_stack_with_its_certificate_both_or_neither():
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    assert deploy.domain_overrides("", "") == []
    assert deploy.domain_overrides(" Garden.Example.org ", arn) == [
        "DomainName=garden.example.org", f"CertificateArn={arn}"]
    for domain, certificate, words in [
            ("garden.example.org", "", "both"), ("", arn, "both"),
            ("garden.example.org", arn.replace("us-east-1", "eu-west-1"), "us-east-1"),
            ("garden.example.org", "not-an-arn", "us-east-1"),
            ("https://garden.example.org/", arn, "not a domain name"),
            ("garden", arn, "not a domain name")]:
        with pytest.raises(deploy.DeployError, match=words):
            deploy.domain_overrides(domain, certificate)


def test_the_stack_deploy_passes_the_domain_only_when_given(monkeypatch, tmp_path):
    ran: list[list[str]] = []
    monkeypatch.setattr(deploy, "BUILD", tmp_path)
    monkeypatch.setattr(deploy, "_run", lambda args, **kw: ran.append(list(args)))
    monkeypatch.setattr(deploy, "_aws_cli", lambda: "aws")
    deploy.deploy_stack("prod", "us-east-1", ["sd-1"], "abc123")
    deploy.deploy_stack("prod", "us-east-1", ["sd-1"], "abc123",
                        ["DomainName=garden.example.org", "CertificateArn=arn"])
    assert not any(a.startswith("DomainName=") for a in ran[0])
    assert ran[1][-2:] == ["DomainName=garden.example.org", "CertificateArn=arn"]
    assert ran[1][ran[1].index("--parameter-overrides") + 1] == "Stage=prod"
