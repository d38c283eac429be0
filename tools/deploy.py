"""Deploy a stage of Emotion Garden to AWS, or take it down: `make deploy STAGE=dev` and
`make destroy STAGE=dev` run this module.

deploy, in order (each step needs the one before):
 1. render infra/template.yaml (statemachine/generate.asl.json inlined into both state
    machines) and `aws cloudformation deploy` it: bucket, table, state machines, CloudFront
    serving the site;
 2. write the stage's environment (.chalice/config.json) and least-privilege policy
    (.chalice/policy-{stage}.json) from the stack's outputs;
 3. build the Lambda package without what the Python runtime already has (boto3, botocore…)
    and `chalice deploy --stage` (the Lambdas, the REST API, the S3 notification to
    index_objects);
 4. deploy the stack again with the REST API's id: CloudFront forwards the API paths to it
    and the admin routes get their usage plan and API key;
 5. upload html/ (with the stage's config.js), invalidate CloudFront, print the site's URL.

destroy: confirmation → `chalice delete` (so emptying the bucket indexes nothing) → every
object version of the bucket deleted → the stack deleted (and the retained bucket with it).

Everything but the AWS calls is a plain function, tested offline in tests/infra/.
"""
from __future__ import annotations

import argparse
import json
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # boto3's stubs (requirements-dev.txt), for mypy alone
    from mypy_boto3_apigateway.type_defs import PatchOperationTypeDef

ROOT = Path(__file__).resolve().parents[1]
APP = "emotion-garden"
STAGES = ("dev", "prod")
TEMPLATE = ROOT / "infra" / "template.yaml"
BUILD = ROOT / "build" / "infra"
CHALICE_DIR = ROOT / ".chalice"
HTML = ROOT / "html"
# CloudFormation takes a template body up to this size without an S3 upload.
MAX_TEMPLATE_BODY = 51_200
FILE_MARKER = re.compile(r"^\{\{file:([A-Za-z0-9_./-]+)\}\}$")
# Shipped by the Lambda Python runtime: the package need not carry them. requirements.txt pulls
# none of them in any more (the X-Ray SDK, which brought a second botocore, comes with the
# Powertools layer); slimming stays as a guard.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# Powertools for AWS Lambda (Python) v3, AWS's public layer (Powertools and the X-Ray SDK): the
# functions' logs, metrics and traces (docs/deploy.md, "Observe"). One layer per Python version
# and architecture; the version is pinned, and requirements-dev.txt pins the release the tests run.
POWERTOOLS_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_VERSION = 27
PYTHON = "python3.12"
# Every function's architecture (Chalice sets one per stage): see docs/deploy.md, "Sizes".
ARCHITECTURE = "x86_64"
# Deliberate per function: the API answers within API Gateway's 29 s (/text2image waits up to
# GARDEN_WAIT_SECONDS=25) and decodes photos (memory buys CPU); one image per generate call
# (SageMaker's real-time limit is 60 s, then the JPEG check and upload); the rest is catalog I/O.
LAMBDA_FUNCTIONS: dict[str, dict[str, int]] = {
    "api_handler": {"lambda_timeout": 30, "lambda_memory_size": 1024},
    "index_objects": {"lambda_timeout": 60, "lambda_memory_size": 512},
    "workflow_plan_text2image": {"lambda_timeout": 30, "lambda_memory_size": 256},
    "workflow_plan_bulk": {"lambda_timeout": 30, "lambda_memory_size": 256},
    # waits on the endpoint for most of its time: 256 MB (bench cost: orchestration per image
    # of a bulk job $0.000238 at 1024 MB → $0.000112; its CPU work, a JPEG check and the
    # provenance, stretches from ~60 ms to ~240 ms)
    "workflow_generate": {"lambda_timeout": 120, "lambda_memory_size": 256},
    "workflow_record_error": {"lambda_timeout": 30, "lambda_memory_size": 256},
    "workflow_finish": {"lambda_timeout": 60, "lambda_memory_size": 512},
    # an asynchronous endpoint's answer: read, checked and stored as generate stores an image
    "endpoint_notified": {"lambda_timeout": 60, "lambda_memory_size": 512},
}
# The object prefixes the app reads and writes (chalicelib/rules/layout.py): garden, pool, results.
IMAGE_PREFIXES = ("emotions/", "pool/", "text2image/", "grown/", "held/")   # held/: images the moderation held
MACHINES = {"text2image": "Text2ImageMachineArn", "bulk": "BulkMachineArn"}


class DeployError(Exception):
    """A step cannot go on; the message says what to do."""


# --- the template ----------------------------------------------------------------------------
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The YAML template as plain JSON-like data (short forms such as !Sub in long form)."""
    from cfnlint.decode import decode
    template, problems = decode(str(path))
    if problems or template is None:
        raise DeployError(f"{path}: " + "; ".join(str(p) for p in problems))
    loaded: dict[str, Any] = json.loads(json.dumps(template))
    return loaded


def render_template(path: Path = TEMPLATE, root: Path = ROOT) -> dict[str, Any]:
    """The deployable template: every ``{{file:PATH}}`` DefinitionString replaced by the file's
    text (checked to be JSON), so the state machines deploy exactly what is in statemachine/."""
    template = load_template(path)
    for name, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        marker = props.get("DefinitionString")
        match = FILE_MARKER.match(marker) if isinstance(marker, str) else None
        if match:
            file = root / match.group(1)
            try:
                text = file.read_text(encoding="utf-8")
                json.loads(text)
            except (OSError, ValueError) as exc:
                raise DeployError(f"{name}: cannot inline {file}: {exc}") from None
            props["DefinitionString"] = text
    return template


def template_body(template: Mapping[str, Any]) -> str:
    body = json.dumps(template, separators=(",", ":"))
    if len(body.encode()) > MAX_TEMPLATE_BODY:
        raise DeployError(f"the rendered template is {len(body.encode())} bytes, over "
                          f"CloudFormation's {MAX_TEMPLATE_BODY} without an S3 upload")
    return body


def stack_name(stage: str) -> str:
    return f"{APP}-{check_stage(stage)}"


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise DeployError(f"STAGE={stage!r} must be one of {', '.join(STAGES)}")
    return stage


# --- from the stack's outputs to the app's configuration ----------------------------------------
def endpoint_uris(names: str | Iterable[str]) -> list[str]:
    """SageMaker endpoint names → GARDEN_ENDPOINTS URIs; a value with a scheme (``painter:``,
    ``bedrock:MODEL_ID[?concurrency=N]``) is kept as it is."""
    items = names.split(",") if isinstance(names, str) else list(names)
    items = [n.strip() for n in items if n and n.strip()]
    return [n if ":" in n else f"sagemaker:{n}" for n in items]


def bedrock_model(uri: str) -> str:
    """The model ID of ``bedrock:MODEL_ID[?concurrency=N]``."""
    return uri[len("bedrock:"):].partition("?")[0]


def check_endpoints(names: Sequence[str]) -> None:
    """Every endpoint is one the app accepts (chalicelib/config.py's own rules), before any
    stack is touched."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from chalicelib.config import parse_endpoints
    from chalicelib.errors import ConfigError
    try:
        parse_endpoints(json.dumps(endpoint_uris(names)), ())
    except ConfigError as exc:
        raise DeployError(f"ENDPOINTS: {exc}") from None


def stage_environment(outputs: Mapping[str, str], stage: str) -> dict[str, str]:
    """The Lambda environment of a stage: what chalicelib/config.py reads in AWS."""
    missing = [k for k in ("BucketName", "TableName", "CdnDomain", *MACHINES.values())
               if not outputs.get(k)]
    if missing:
        raise DeployError(f"the stack has no outputs {', '.join(missing)}")
    endpoints = endpoint_uris(outputs.get("EndpointNames", ""))
    if not endpoints:
        raise DeployError("no inference endpoints: deploy with ENDPOINTS=name1,name2 "
                          "(SageMaker endpoint names or bedrock:MODEL_ID; see docs/deploy.md)")
    return {
        "GARDEN_BACKEND": "aws",
        "GARDEN_STAGE": stage,
        "GARDEN_BUCKET": outputs["BucketName"],
        "GARDEN_TABLE": outputs["TableName"],
        "GARDEN_CDN_DOMAIN": outputs["CdnDomain"],
        "GARDEN_TEXT2IMAGE_MACHINE": outputs[MACHINES["text2image"]],
        "GARDEN_BULK_MACHINE": outputs[MACHINES["bulk"]],
        "GARDEN_ENDPOINTS": json.dumps(endpoints),
        # the SNS topic asynchronous endpoints notify: `chalice deploy` subscribes to it by name
        **({"GARDEN_ASYNC_TOPIC": outputs["AsyncTopicName"]} if outputs.get("AsyncTopicName")
           else {}),
        # the stack's prompt guardrail (Bedrock Guardrails, after the block list), at its version
        **({"GARDEN_GUARDRAIL": f"{outputs['GuardrailArn']}:{outputs['GuardrailVersion']}"}
           if outputs.get("GuardrailArn") and outputs.get("GuardrailVersion") else {}),
    }


def parse_arn(arn: str) -> dict[str, str]:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise DeployError(f"not an ARN: {arn!r}")
    return {"partition": parts[1], "service": parts[2], "region": parts[3],
            "account": parts[4], "resource": parts[5]}


def policy_document(environment: Mapping[str, str],
                    outputs: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The Lambda role's policy: only the actions the code calls, on only the stage's resources
    (tests/infra/test_policy.py checks both against the code). ``outputs`` (the stack's) name
    the guardrail profile and its destination Regions: a Standard-tier guardrail's requests
    may be served in any of them, and ApplyGuardrail must be allowed on the profile there."""
    machines = [environment["GARDEN_TEXT2IMAGE_MACHINE"], environment["GARDEN_BULK_MACHINE"]]
    arn = parse_arn(machines[0])
    part, region, account = arn["partition"], arn["region"], arn["account"]
    stage = environment["GARDEN_STAGE"]
    bucket, table = environment["GARDEN_BUCKET"], environment["GARDEN_TABLE"]
    table_arn = f"arn:{part}:dynamodb:{region}:{account}:table/{table}"
    executions = [m.replace(":stateMachine:", ":execution:", 1) + ":*" for m in machines]
    # SageMaker puts endpoint names into ARNs in lower case; IAM compares case-sensitively.
    endpoints = sorted({f"arn:{part}:sagemaker:{region}:{account}:endpoint/{u.split(':', 1)[1].lower()}"
                        for u in json.loads(environment["GARDEN_ENDPOINTS"])
                        if u.startswith("sagemaker:")})
    # Bedrock: exactly the configured models' foundation-model ARNs in the stack's region.
    models = sorted({f"arn:{part}:bedrock:{region}::foundation-model/{bedrock_model(u)}"
                     for u in json.loads(environment["GARDEN_ENDPOINTS"])
                     if u.startswith("bedrock:")})
    statements: list[dict[str, Any]] = [
        {"Sid": "Logs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"arn:{part}:logs:{region}:{account}:log-group:/aws/lambda/{APP}-{stage}-*"},
        {"Sid": "Images", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": [f"arn:{part}:s3:::{bucket}/{p}*" for p in IMAGE_PREFIXES]},
        # The original system's pool prefix: an image copied there is moved to pool/ by its event.
        {"Sid": "OriginalPool", "Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"],
         "Resource": [f"arn:{part}:s3:::{bucket}/imgPool/*"]},
        # Listing, unconditioned: without it S3 answers 403 instead of 404 for a missing key.
        {"Sid": "ImageListing", "Effect": "Allow", "Action": ["s3:ListBucket"],
         "Resource": f"arn:{part}:s3:::{bucket}"},
        {"Sid": "Catalog", "Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Query",
                    "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"],
         "Resource": [table_arn, f"{table_arn}/index/garden", f"{table_arn}/index/fresh"]},
        {"Sid": "Workflows", "Effect": "Allow", "Action": ["states:StartExecution"],
         "Resource": machines},
        # DescribeExecution: a job's poll; StopExecution: an operator's cancel
        {"Sid": "WorkflowRuns", "Effect": "Allow",
         "Action": ["states:DescribeExecution", "states:StopExecution"], "Resource": executions},
        # DetectFaces and X-Ray's writes have no resource-level permissions: "*" is the only form.
        {"Sid": "Faces", "Effect": "Allow", "Action": ["rekognition:DetectFaces"], "Resource": "*"},
        # DetectModerationLabels (every generated image, before anyone may see it) has no
        # resource-level permissions either.
        {"Sid": "ImageChecks", "Effect": "Allow", "Action": ["rekognition:DetectModerationLabels"],
         "Resource": "*"},
        {"Sid": "Tracing", "Effect": "Allow",
         "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules", "xray:GetSamplingTargets"], "Resource": "*"},
    ]
    after_workflows = next(i for i, s in enumerate(statements) if s["Sid"] == "Workflows") + 1
    guardrail = environment.get("GARDEN_GUARDRAIL")
    if guardrail:   # ARN:VERSION; IAM names the guardrail without its version
        guardrail_arn = guardrail.rsplit(":", 1)[0] if guardrail.count(":") > 5 else guardrail
        profile = (outputs or {}).get("GuardrailProfile", "")
        regions = [r.strip() for r in (outputs or {}).get("GuardrailRegions", "").split(",")
                   if r.strip()]
        profiles = [f"arn:{part}:bedrock:{r}:{account}:guardrail-profile/{profile}"
                    for r in regions] if profile else []
        statements.insert(after_workflows, {"Sid": "PromptChecks", "Effect": "Allow",
                              "Action": ["bedrock:ApplyGuardrail"],
                              "Resource": [guardrail_arn, *profiles]})
    if models:
        statements.insert(after_workflows, {"Sid": "Models", "Effect": "Allow",
                              "Action": ["bedrock:InvokeModel"], "Resource": models})
    if endpoints:
        statements.insert(after_workflows, {"Sid": "Endpoints", "Effect": "Allow",
                              "Action": ["sagemaker:InvokeEndpoint"], "Resource": endpoints})
    parked = sorted({f"arn:{part}:sagemaker:{region}:{account}:endpoint/{u.split(':', 1)[1].lower()}"
                     for u in json.loads(environment["GARDEN_ENDPOINTS"])
                     if u.startswith("sagemaker-async:")})
    if parked:   # asynchronous endpoints: the request written, queued, its answer read
        statements[after_workflows:after_workflows] = [
            # queue a request; DescribeEndpoint: how many instances run (a job waiting on an
            # endpoint scaled to zero says so: chalicelib/jobs/waiting.py)
            {"Sid": "AsyncEndpoints", "Effect": "Allow",
             "Action": ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpointAsync"],
             "Resource": parked},
            {"Sid": "AsyncRequests", "Effect": "Allow",
             "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": [f"arn:{part}:s3:::{bucket}/async-inference/*"]},
            # A parked worker's task token is answered by the callback (or by the worker when
            # nothing is left): IAM cannot scope the tokens of a service integration's task.
            {"Sid": "ParkedWorkers", "Effect": "Allow",
             "Action": ["states:SendTaskSuccess", "states:SendTaskFailure",
                        "states:SendTaskHeartbeat"], "Resource": "*"}]
    return {"Version": "2012-10-17", "Statement": statements}


def powertools_layer(region: str, architecture: str = ARCHITECTURE, python: str = PYTHON,
                     version: int = POWERTOOLS_LAYER_VERSION) -> str:
    """The Powertools layer's ARN for a region, architecture and Python (``python3.12``)."""
    if architecture not in ("x86_64", "arm64"):
        raise DeployError(f"architecture {architecture!r} must be x86_64 or arm64")
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        raise DeployError(f"region {region!r} is not an AWS region such as eu-west-1")
    if region.startswith(("cn-", "us-gov-")):
        raise DeployError(f"{region}: the Powertools layer is published from another account "
                          "there; set the layer in .chalice/config.json by hand")
    return (f"arn:aws:lambda:{region}:{POWERTOOLS_ACCOUNT}:layer:AWSLambdaPowertoolsPythonV3-"
            f"{python.replace('.', '')}-{architecture}:{version}")


def chalice_stage(config: Mapping[str, Any], stage: str,
                  environment: Mapping[str, str], region: str | None = None) -> dict[str, Any]:
    """.chalice/config.json with ``stage`` set up for AWS: the stack's environment, the policy
    file, X-Ray, REGIONAL API, per-function limits, the architecture and (given the stack's
    ``region``) the Powertools layer. Other stages are left as they are."""
    updated = json.loads(json.dumps(config))
    current = updated.setdefault("stages", {}).setdefault(stage, {})
    current.update({
        "api_gateway_stage": current.get("api_gateway_stage", "api"),
        "api_gateway_endpoint_type": "REGIONAL",
        "autogen_policy": False,
        "iam_policy_file": f"policy-{stage}.json",
        "xray": True,
        "environment_variables": {**current.get("environment_variables", {}), **environment},
        "lambda_architecture": ARCHITECTURE,
    })
    if region is not None:
        current["layers"] = [powertools_layer(region)]
    functions = current.setdefault("lambda_functions", {})
    for name, limits in LAMBDA_FUNCTIONS.items():
        functions[name] = {**functions.get(name, {}), **limits}
    return updated


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- the Lambda package --------------------------------------------------------------------------
def build_package(project_dir: Path = ROOT, python_version: str = PYTHON,
                  architecture: str = ARCHITECTURE) -> Path:
    """The zip `chalice deploy` uploads, built by Chalice's own packager (manylinux wheels from
    PyPI) and slimmed of what the runtime provides. It lands where Chalice looks for a cached
    package (.chalice/deployments/{hash of requirements and app}-{python}.zip), so the next
    `chalice deploy` reuses it instead of building a fat one."""
    from chalice.deploy.packager import DependencyBuilder, LambdaDeploymentPackager
    from chalice.utils import UI, OSUtils
    osutils = OSUtils()
    packager = LambdaDeploymentPackager(osutils=osutils, ui=UI(), architecture=architecture,
                                        dependency_builder=DependencyBuilder(
                                            osutils=osutils, architecture=architecture))
    path = Path(packager.deployment_package_filename(str(project_dir), python_version))
    if path.exists():
        path.unlink()  # rebuilt every time: a stale cached package would hide a change
    built = Path(packager.create_deployment_package(str(project_dir), python_version))
    slim_package(built)
    return built


def slim_package(path: Path, drop: Sequence[str] = RUNTIME_PROVIDED) -> list[str]:
    """Remove the top-level packages in ``drop`` (and their dist-info) from a zip; the names."""
    def dropped(name: str) -> bool:
        top = name.split("/", 1)[0]
        base = top[:-3] if top.endswith(".py") else top.split("-", 1)[0]
        if top.endswith(".dist-info"):
            base = base.replace("python_", "")   # python_dateutil-2.9.0.dist-info
        return base in drop
    temp = path.with_suffix(".slim")
    removed: set[str] = set()
    with zipfile.ZipFile(path) as source, \
            zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if dropped(info.filename):
                removed.add(info.filename.split("/", 1)[0])
                continue
            target.writestr(info, source.read(info))
    temp.replace(path)
    return sorted(removed)


# --- the site -------------------------------------------------------------------------------------
def site_files(html: Path = HTML, stage: str = "dev") -> list[tuple[Path, str]]:
    """(file, key) pairs to upload: html/ as it is, with html/config.{stage}.js (if there is
    one) as config.js; other stages' configs stay home."""
    staged = html / f"config.{stage}.js"
    files: list[tuple[Path, str]] = []
    for path in sorted(p for p in html.rglob("*") if p.is_file()):
        key = path.relative_to(html).as_posix()
        if re.fullmatch(r"config\.[a-z0-9]+\.js", key):
            continue
        if key == "config.js" and staged.exists():
            path = staged
        files.append((path, key))
    return files


def cache_control(key: str) -> str:
    # Pages, config and service workers (the wall screen's display/sw.js) must show a deploy at
    # once; the rest may sit in caches a few minutes (each deploy invalidates them anyway).
    if key.endswith((".html", "/sw.js")) or key == "config.js":
        return "no-cache"
    return "public, max-age=300"


def upload_site(s3: Any, bucket: str, files: Sequence[tuple[Path, str]]) -> list[str]:
    for path, key in files:
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript",
                                                                 "image/svg+xml", "application/json"):
            content_type += "; charset=utf-8"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type,
                      CacheControl=cache_control(key))
    return [key for _, key in files]


def invalidation_paths(keys: Sequence[str], limit: int = 15) -> list[str]:
    """The site's paths ("/" too, it serves index.html); one wildcard beyond ``limit``
    (each listed path is billed, a wildcard counts once)."""
    paths = sorted({"/" + k for k in keys} | {"/"})
    return ["/*"] if len(paths) > limit else paths


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker; how many were deleted."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        batch = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                 for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for start in range(0, len(batch), 1000):
            chunk = batch[start:start + 1000]
            response = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
            if response.get("Errors"):
                first = response["Errors"][0]
                raise DeployError(f"cannot delete {first['Key']}: {first.get('Message')}")
            deleted += len(chunk)
    return deleted


# --- AWS steps --------------------------------------------------------------------------------
def stack_outputs(cloudformation: Any, name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def deployed_api_id(stage: str, chalice_dir: Path = CHALICE_DIR) -> str:
    """The REST API id from Chalice's record of the stage's deploy ('' before the first)."""
    record = chalice_dir / "deployed" / f"{stage}.json"
    if not record.exists():
        return ""
    for resource in json.loads(record.read_text()).get("resources", []):
        if resource.get("resource_type") == "rest_api":
            return str(resource.get("rest_api_id", ""))
    return ""


def _run(command: Sequence[str], env: Mapping[str, str] | None = None) -> None:
    print("+ " + " ".join(command), flush=True)
    subprocess.run(list(command), check=True, cwd=ROOT, env=dict(env) if env else None)


def _aws_cli() -> str:
    cli = shutil.which("aws")
    if cli is None:
        raise DeployError("the AWS CLI (`aws`, v2) is needed: https://aws.amazon.com/cli/")
    return cli


def _chalice() -> str:
    return str(Path(sys.executable).with_name("chalice"))


def _region(session: Any) -> str:
    if not session.region_name:
        raise DeployError("no AWS region: set AWS_REGION (or a profile's region)")
    return str(session.region_name)


def domain_overrides(domain: str, certificate: str) -> list[str]:
    """The stack's DomainName and CertificateArn, both or neither (none: the stack keeps what it
    has); a certificate outside us-east-1 is refused here, as CloudFront would refuse it."""
    domain, certificate = domain.strip(), certificate.strip()
    if bool(domain) != bool(certificate):
        raise DeployError("give both DOMAIN and CERTIFICATE (an ACM certificate ARN in "
                          "us-east-1), or neither")
    if not domain:
        return []
    if not re.fullmatch(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
                        domain.lower()):
        raise DeployError(f"DOMAIN {domain[:80]!r} is not a domain name such as garden.example.org")
    if not re.fullmatch(r"arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[\w-]+", certificate):
        raise DeployError("CERTIFICATE must be an ACM certificate ARN in us-east-1 "
                          "(arn:aws:acm:us-east-1:ACCOUNT:certificate/ID): CloudFront takes "
                          "certificates from that region only")
    return [f"DomainName={domain.lower()}", f"CertificateArn={certificate}"]


def deploy_stack(stage: str, region: str, endpoints: Sequence[str], api_id: str,
                 domain: Sequence[str] = ()) -> None:
    """``domain``: ``domain_overrides``' parameters (empty: the stack keeps its own)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    path = BUILD / f"{stage}.template.json"
    path.write_text(template_body(render_template()))
    _run([_aws_cli(), "cloudformation", "deploy", "--region", region,
          "--stack-name", stack_name(stage), "--template-file", str(path),
          "--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset",
          "--tags", f"app={APP}", f"stage={stage}",
          "--parameter-overrides", f"Stage={stage}", f"EndpointNames={','.join(endpoints)}",
          f"ApiId={api_id}", *domain])


# Public text-to-image is throttled at the API (the usage plan only covers keyed admin calls):
# per-method settings on the stage Chalice created, since Chalice has no option for them.
TEXT2IMAGE_THROTTLE = {"rateLimit": 2.0, "burstLimit": 10}
# A visitor's flower: kiosks ask once per visit (the catalog counts one per visit and the day's
# budget); the stage caps the route as a whole.
GROW_THROTTLE = {"rateLimit": 1.0, "burstLimit": 8}


def throttle_patches(route: str = "/text2image", method: str = "POST",
                     limits: Mapping[str, float] = TEXT2IMAGE_THROTTLE) -> list[PatchOperationTypeDef]:
    """API Gateway UpdateStage patch operations setting one method's throttling."""
    path = route.replace("~", "~0").replace("/", "~1")
    return [{"op": "replace", "path": f"/{path}/{method}/throttling/{name}", "value": str(value)}
            for name, value in limits.items()]


def deploy(stage: str, endpoints: Sequence[str], domain: Sequence[str] = ()) -> str:
    import boto3
    session = boto3.session.Session()
    region = _region(session)
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    if not endpoints:
        try:   # a redeploy keeps the endpoints it had
            endpoints = [n for n in stack_outputs(cloudformation, name)
                         .get("EndpointNames", "").split(",") if n]
        except Exception:  # noqa: BLE001 - no stack yet: stage_environment says what is missing
            endpoints = []
    if endpoints:
        check_endpoints(endpoints)
    print(f"1/5 stack {name} in {region}", flush=True)
    deploy_stack(stage, region, endpoints, deployed_api_id(stage), domain)
    outputs = stack_outputs(cloudformation, name)
    environment = stage_environment(outputs, stage)

    print("2/5 stage configuration and policy from the stack's outputs", flush=True)
    config_path = CHALICE_DIR / "config.json"
    write_json(config_path, chalice_stage(json.loads(config_path.read_text()), stage, environment,
                                                  region))
    write_json(CHALICE_DIR / f"policy-{stage}.json", policy_document(environment, outputs))

    print("3/5 Lambda package and chalice deploy", flush=True)
    package = build_package()
    print(f"    package {package.name}: {package.stat().st_size / 1e6:.1f} MB zipped", flush=True)
    # app.py reads GARDEN_BUCKET at import: Chalice wires index_objects to that bucket
    _run([_chalice(), "deploy", "--stage", stage],
         env={**os.environ, **environment, "AWS_DEFAULT_REGION": region})

    api_id = deployed_api_id(stage)
    session.client("apigateway").update_stage(
        restApiId=api_id, stageName="api",
        patchOperations=throttle_patches() + throttle_patches("/grow", limits=GROW_THROTTLE))
    if api_id != outputs.get("ApiId", ""):
        print(f"4/5 stack again: CloudFront forwards the API ({api_id}), admin API key", flush=True)
        deploy_stack(stage, region, endpoints, api_id)
        outputs = stack_outputs(cloudformation, name)
    else:
        print("4/5 API origin unchanged", flush=True)

    print("5/5 site upload and CloudFront invalidation", flush=True)
    keys = upload_site(session.client("s3"), outputs["BucketName"], site_files(HTML, stage))
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["DistributionId"],
        InvalidationBatch={"Paths": {"Quantity": len(paths := invalidation_paths(keys)),
                                     "Items": paths},
                           "CallerReference": f"{APP}-{stage}-{os.getpid()}-{os.urandom(4).hex()}"})
    url = outputs["SiteUrl"]
    print(f"\nEmotion Garden ({stage}) is at {url}\n(a new CloudFront distribution takes a few "
          "minutes to reach every edge)")
    if outputs.get("AdminApiKeyId"):
        print("Admin key: aws apigateway get-api-key --include-value --query value --output text "
              f"--api-key {outputs['AdminApiKeyId']}")
    return url


def destroy(stage: str, confirm: Callable[[str], str] = input, assume_yes: bool = False) -> None:
    import boto3
    session = boto3.session.Session()
    region = _region(session)
    name = stack_name(stage)
    cloudformation = session.client("cloudformation")
    outputs = stack_outputs(cloudformation, name)
    bucket, table = outputs["BucketName"], outputs["TableName"]
    print(f"This deletes stage {stage!r} in {region}: the Lambdas and API, every image in "
          f"s3://{bucket} (all versions), the catalog table {table} and its likes, the state "
          "machines and the CloudFront distribution. It cannot be undone.")
    if not assume_yes and confirm(f"Type the stage name ({stage}) to go on: ").strip() != stage:
        raise DeployError("not confirmed; nothing was deleted")
    if (CHALICE_DIR / "deployed" / f"{stage}.json").exists():
        _run([_chalice(), "delete", "--stage", stage],
             env={**os.environ, "GARDEN_BUCKET": bucket, "AWS_DEFAULT_REGION": region})
    s3 = session.client("s3")
    print(f"emptying s3://{bucket}: {empty_bucket(s3, bucket)} object versions deleted", flush=True)
    session.client("dynamodb").update_table(TableName=table, DeletionProtectionEnabled=False)
    cloudformation.delete_stack(StackName=name)
    print(f"deleting stack {name} (CloudFront takes a while)…", flush=True)
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    s3.delete_bucket(Bucket=bucket)   # retained by the stack so that it is never lost by accident
    print(f"stage {stage} is gone")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/deploy.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("deploy", help="deploy or update a stage")
    up.add_argument("--stage", default="dev")
    up.add_argument("--endpoints", default="",
                    help="SageMaker endpoint names and bedrock:MODEL_ID[?concurrency=N] "
                         "URIs, comma separated (default: the stack's)")
    up.add_argument("--domain", default="",
                    help="the site's own domain (with --certificate): CloudFront serves it with "
                         "TLS 1.2 at least (default: the stack's; none: *.cloudfront.net)")
    up.add_argument("--certificate", default="",
                    help="the domain's ACM certificate ARN, in us-east-1")
    down = commands.add_parser("destroy", help="delete a stage and everything in it")
    down.add_argument("--stage", default="dev")
    down.add_argument("--yes", action="store_true", help="do not ask (CI)")
    render = commands.add_parser("render", help="write the deployable template")
    render.add_argument("out", type=Path)
    commands.add_parser("package", help="build the Lambda package and print its size")
    args = parser.parse_args(argv)
    try:
        if args.command == "deploy":
            deploy(check_stage(args.stage), [e.strip() for e in args.endpoints.split(",") if e.strip()],
                   domain_overrides(args.domain, args.certificate))
        elif args.command == "destroy":
            destroy(check_stage(args.stage), assume_yes=args.yes)
        elif args.command == "render":
            args.out.write_text(template_body(render_template()))
        else:
            path = build_package()
            print(f"{path}: {path.stat().st_size} bytes ({path.stat().st_size / 1e6:.2f} MB) zipped")
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"error: {' '.join(exc.cmd)} failed ({exc.returncode})", file=sys.stderr)
        return exc.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
