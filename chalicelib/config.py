"""Configuration, read in one place. A bad or missing setting raises ConfigError naming it.

- ``Settings``: what the garden is wired to. Each edge builds them once and hands them to the
  composition root: Lambda and the Chalice app from the environment, lazily (Chalice's test
  client sets stage variables only during a call); the CLI from its arguments over the
  environment (``load(env).with_overrides(...)``), never by writing ``os.environ``.
- ``Runtime``: facts about the process the code runs in (inside a Lambda? metrics on? which
  stage?), read afresh on each call: the observability helpers and the admin check use it.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from .errors import ConfigError

LOCAL, AWS = "local", "aws"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_LOCAL_ENDPOINTS = ("painter:", "painter:")  # the original ran two endpoints
ENDPOINT_SCHEMES = ("sagemaker:", "sagemaker-async:", "bedrock:", "http://", "https://",
                    "a1111://", "painter:")
PAINTER_PARKED = "painter:?async=1"   # the painter answering as an asynchronous endpoint does
# Amazon Bedrock image models whose request body the garden speaks, by model-ID prefix.
BEDROCK_FAMILIES = (("stability.sd3-", "stability"), ("stability.stable-image-core-", "stability"),
                    ("stability.stable-image-ultra-", "stability"),
                    ("amazon.nova-canvas-", "nova-canvas"))
BEDROCK_EXAMPLES = ("stability.sd3-5-large-v1:0", "stability.stable-image-core-v1:1",
                    "stability.stable-image-ultra-v1:1", "amazon.nova-canvas-v1:0")
MAX_WORKERS = 12                  # workers of one job in all: Step Functions' history limit
MAX_CONCURRENCY = MAX_WORKERS     # bedrock:…?concurrency=N: images in flight for one model
_BEDROCK_MODEL = re.compile(r"^[a-z0-9]+\.[a-z0-9][a-z0-9.-]{0,100}(:[0-9]{1,3})?$")
FACE_READINGS = ("full", "emotion")  # what /emotion reads from a face


# --- moderation (chalicelib/moderation: the checks; here their settings, pure) -----------------
# The moderation's settings, parsed by one pure function from the environment's values.
#
# =============================  ==================================================================
# ``GARDEN_MODERATION``          ``off`` | ``prompts`` | ``images`` | ``both`` (default ``both``)
# ``GARDEN_IMAGE_CHECK``         ``rekognition`` | ``none``; default ``rekognition`` in AWS,
#                                ``none`` locally (offline there is no image check: a local
#                                installation asks for Rekognition with AWS credentials)
# ``GARDEN_MODERATION_MIN_CONFIDENCE``  0–100: a moderation label at or above it flags an image
#                                (default 50, Rekognition's own default)
# ``GARDEN_MODERATION_LABELS``   the Rekognition labels that flag an image, comma-separated or a
#                                JSON list, matched against a label and its parent
#                                (``Explicit,Violence``); default: every label
# ``GARDEN_BLOCKLIST``           the operator's block lists: paths separated by commas (relative
#                                to the data directory); default ``blocklist.txt`` in the data
#                                directory when there is one. A named list that is missing,
#                                empty or not UTF-8 stops the start with the setting's name
# ``GARDEN_BLOCKLIST_WORDS``     more entries as a stage setting: a JSON list of strings
# ``GARDEN_GUARDRAIL``           a Bedrock guardrail checks prompts too: ``ID`` or ``ID:VERSION``
#                                (``ID`` an identifier or ARN; version a number or ``DRAFT``,
#                                default ``DRAFT``)
# ``GARDEN_BULK_FLAGGED``        ``review`` (default: to the pool, marked) | ``drop``
# =============================  ==================================================================
#
# Defaults make a public installation safe: prompts are always checked against the block list,
# and in AWS every generated image goes through Rekognition. Asking for image checks where no
# image check can run (``GARDEN_MODERATION=images`` or ``both`` set explicitly, locally, without
# ``GARDEN_IMAGE_CHECK=rekognition``) is a ConfigError, never a silent pass.
MODES = ("off", "prompts", "images", "both")
IMAGE_CHECKS = ("rekognition", "none")
BULK_FLAGGED = ("review", "drop")
DEFAULT_MODE = "both"
DEFAULT_MIN_CONFIDENCE = 50.0
DEFAULT_BLOCKLIST = "blocklist.txt"
_GUARDRAIL = re.compile(r"^(?P<id>[a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:"
                        r"guardrail/[a-z0-9]+)(:(?P<version>[1-9][0-9]{0,7}|DRAFT))?$")


@dataclass(frozen=True)
class ModerationSettings:
    mode: str                                   # GARDEN_MODERATION
    image_check: str                            # GARDEN_IMAGE_CHECK: rekognition | none
    min_confidence: float                       # GARDEN_MODERATION_MIN_CONFIDENCE: 0..100
    labels: tuple[str, ...]                     # GARDEN_MODERATION_LABELS: () = every label
    blocklists: tuple[Path, ...]                # GARDEN_BLOCKLIST (absolute paths)
    blocklists_named: bool                      # GARDEN_BLOCKLIST was set: each must exist
    extra_words: tuple[str, ...]                # GARDEN_BLOCKLIST_WORDS
    guardrail_id: str | None                    # GARDEN_GUARDRAIL
    guardrail_version: str                      # its version (DRAFT when not given)
    bulk_flagged: Literal["review", "drop"]     # GARDEN_BULK_FLAGGED

    @property
    def prompts(self) -> bool:
        """Prompts are checked (the block list, and the guardrail when one is named)."""
        return self.mode in ("prompts", "both")

    @property
    def images(self) -> bool:
        """Generated images are checked before anyone may see them."""
        return self.mode in ("images", "both") and self.image_check != "none"

    def rebased(self, old: Path, new: Path) -> ModerationSettings:
        """These settings for another data directory: the block lists that lay in ``old``
        (the default one, or one named relative to it) lie in ``new``."""
        def moved(path: Path) -> Path:
            return new / path.relative_to(old) if path.is_relative_to(old) else path
        return replace(self, blocklists=tuple(moved(path) for path in self.blocklists))


def _value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value.strip() if value and value.strip() else None


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = (_value(env, name) or default).lower()
    if value not in choices:
        raise ConfigError(f"{name}={value[:40]!r} must be one of: {', '.join(choices)}")
    return value


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list, or a JSON list of strings."""
    value = _value(env, name)
    if value is None:
        return ()
    if value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError as exc:
            raise ConfigError(f"{name} is not a valid JSON list: {exc}") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{name} must be a JSON list of strings")
    else:
        items = value.split(",")
    cleaned = tuple(item.strip() for item in items if item.strip())
    if not cleaned:
        raise ConfigError(f"{name} is set but lists nothing; unset it for the default")
    return cleaned


def _confidence(env: Mapping[str, str]) -> float:
    name = "GARDEN_MODERATION_MIN_CONFIDENCE"
    value = _value(env, name)
    if value is None:
        return DEFAULT_MIN_CONFIDENCE
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0.0 <= number <= 100.0:       # NaN fails this too
        raise ConfigError(f"{name}={value[:40]!r} must be a number from 0 to 100")
    return number


def parse_moderation(env: Mapping[str, str], *, backend: str, data_dir: Path) -> ModerationSettings:
    """The moderation's settings from ``env``; ``backend`` (``local`` | ``aws``) picks the
    defaults, ``data_dir`` anchors relative block-list paths. Reads no file: the lists are
    read when the checks are built (``build_moderation``)."""
    aws = backend == "aws"
    mode = _choice(env, "GARDEN_MODERATION", MODES, DEFAULT_MODE)
    image_check = _choice(env, "GARDEN_IMAGE_CHECK", IMAGE_CHECKS,
                          "rekognition" if aws else "none")
    if _value(env, "GARDEN_MODERATION") and mode in ("images", "both") and image_check == "none":
        raise ConfigError(
            f"GARDEN_MODERATION={mode} asks for image checks, but GARDEN_IMAGE_CHECK is none "
            "(offline there is no image check): set GARDEN_IMAGE_CHECK=rekognition (with AWS "
            "credentials) or GARDEN_MODERATION=prompts")
    named = _list(env, "GARDEN_BLOCKLIST")
    paths = tuple(path if path.is_absolute() else data_dir / path
                  for path in (Path(item).expanduser() for item in named))
    words_raw = _value(env, "GARDEN_BLOCKLIST_WORDS")
    if words_raw is not None and not words_raw.startswith("["):
        raise ConfigError("GARDEN_BLOCKLIST_WORDS must be a JSON list of strings, "
                          'e.g. ["word", "two words"]')
    guardrail = _value(env, "GARDEN_GUARDRAIL")
    guardrail_id, version = None, "DRAFT"
    if guardrail is not None:
        found = _GUARDRAIL.match(guardrail)
        if not found:
            raise ConfigError(f"GARDEN_GUARDRAIL={guardrail[:80]!r} must be a guardrail ID or "
                              "ARN, optionally with :VERSION (a number or DRAFT)")
        guardrail_id, version = found["id"], found["version"] or "DRAFT"
    return ModerationSettings(
        mode=mode,
        image_check=image_check,
        min_confidence=_confidence(env),
        labels=_list(env, "GARDEN_MODERATION_LABELS"),
        blocklists=paths or (data_dir / DEFAULT_BLOCKLIST,),
        blocklists_named=bool(paths),
        extra_words=_list(env, "GARDEN_BLOCKLIST_WORDS"),
        guardrail_id=guardrail_id,
        guardrail_version=version,
        bulk_flagged=cast(Literal["review", "drop"],
                          _choice(env, "GARDEN_BULK_FLAGGED", BULK_FLAGGED, "review")),
    )


@dataclass(frozen=True)
class Settings:
    backend: str                      # GARDEN_BACKEND: local | aws
    data_dir: Path                    # GARDEN_DATA_DIR (local)
    public_url: str                   # GARDEN_PUBLIC_URL: base of image URLs (local server)
    bucket: str | None                # GARDEN_BUCKET (aws)
    table: str | None                 # GARDEN_TABLE (aws)
    cdn_domain: str | None            # GARDEN_CDN_DOMAIN (aws): CloudFront domain of the site
    endpoints: tuple[str, ...]        # GARDEN_ENDPOINTS: JSON list of endpoint URIs
    admin_key: str | None             # GARDEN_ADMIN_KEY
    text2image_machine: str | None    # GARDEN_TEXT2IMAGE_MACHINE: state machine ARN (aws)
    bulk_machine: str | None          # GARDEN_BULK_MACHINE: state machine ARN (aws)
    wait_seconds: float               # GARDEN_WAIT_SECONDS: how long /text2image waits (default 25)
    keep_photos_days: int             # GARDEN_KEEP_PHOTOS_DAYS: debug only; 0 = photos are never kept
    analyzer: str                     # GARDEN_ANALYZER: local | rekognition (default by backend)
    demo: bool                        # GARDEN_DEMO: plant demo images into an empty garden
    public_url_given: bool = False    # GARDEN_PUBLIC_URL was set (else a server uses its own address)
    tls_cert: Path | None = None      # GARDEN_TLS_CERT: PEM certificate for `serve --tls`
    tls_key: Path | None = None       # GARDEN_TLS_KEY: its PEM private key
    face_reading: str = "full"        # GARDEN_FACE_READING: full | emotion (nothing but the emotion)
    context_gender: bool = False      # GARDEN_CONTEXT_GENDER: the garden learns per gender too (README)
    credits: tuple[CreditLine, ...] = ()  # GARDEN_CREDITS: {"endpoint URI or prefix": line} (README)
    # GARDEN_MODERATION and its companions (above): what is checked before anyone sees it
    moderation: ModerationSettings = field(default_factory=lambda: parse_moderation(
        {}, backend=LOCAL, data_dir=Path(".garden").resolve()))
    # GARDEN_GROW: a visitor's own flower (POST /grow) on or off; unset (None): on when some
    # endpoint answers at once (not only asynchronous ones, which may be at zero instances)
    grow: bool | None = None
    grow_per_day: int = 200           # GARDEN_GROW_PER_DAY: flowers for visitors per UTC day

    @property
    def is_aws(self) -> bool:
        return self.backend == AWS

    @property
    def grows(self) -> bool:
        """Whether POST /grow grows flowers (GARDEN_GROW, else its default: see ``grow``)."""
        if self.grow is not None:
            return self.grow
        return any(not parks(uri) for uri in self.endpoints)

    @property
    def workers(self) -> tuple[str, ...]:
        """The generation workflow's workers: one per endpoint URI, in GARDEN_ENDPOINTS order
        (an endpoint that serves several images at once, ``bedrock:MODEL?concurrency=N``, is
        listed N times: N workers, one image each)."""
        return tuple(uri for uri in self.endpoints for _ in range(endpoint_concurrency(uri)))

    @property
    def machine_arns(self) -> dict[str, str | None]:
        """Each state machine's ARN by the setting that holds it (``jobs.kinds`` says which
        machine each setting is for)."""
        return {"GARDEN_TEXT2IMAGE_MACHINE": self.text2image_machine,
                "GARDEN_BULK_MACHINE": self.bulk_machine}

    def with_overrides(self, **changes: Any) -> Settings:
        """These settings with some replaced (a CLI flag over the environment); ``None``
        values change nothing. A data directory is made absolute as ``load`` does."""
        given = {k: v for k, v in changes.items() if v is not None}
        if "data_dir" in given:
            given["data_dir"] = Path(given["data_dir"]).expanduser().resolve()
            if "moderation" not in given:   # block lists named relative to the data directory move with it
                given["moderation"] = self.moderation.rebased(self.data_dir, given["data_dir"])
        return replace(self, **given)


# --- the origin of the links a request is given ----------------------------------------------
# Without GARDEN_PUBLIC_URL the local server builds each request's links on the address that
# request reached it at (its Host, when it is one of the server's own: chalicelib/web/origins):
# a phone that opened http://192.168.1.20:8000/ gets links there, not to 127.0.0.1. Kept per
# request (a context variable), so concurrent requests never see each other's.
_request_origin: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "garden_request_origin", default=None)


def request_origin() -> str | None:
    """The origin the request being served gets its links on, when the server chose one."""
    return _request_origin.get()


def links_origin(settings: Settings) -> str:
    """Where the links of the request being served point: the origin the server chose for it,
    else the public URL."""
    return _request_origin.get() or settings.public_url


@contextlib.contextmanager
def links_on(origin: str | None) -> Iterator[None]:
    """Serve one request with its links on ``origin`` (None: on the public URL)."""
    token = _request_origin.set(origin.rstrip("/") if origin else None)
    try:
        yield
    finally:
        _request_origin.reset(token)


@dataclass(frozen=True)
class CreditLine:
    """One entry of GARDEN_CREDITS: the credit and licence line of the images made by
    endpoints whose URI starts with ``prefix`` (chalicelib/rules/credits.py)."""
    prefix: str
    en: str
    ko: str | None = None
    url: str | None = None


MAX_CREDITS, MAX_CREDIT_LINE = 50, 600


def parse_credits(raw: str | None) -> tuple[CreditLine, ...]:
    """``{"painter:": "line", "sagemaker:sdxl-": {"en": "…", "ko": "…", "url": "https://…"}}``."""
    if raw is None:
        return ()
    why = ('(expected an object such as {"sagemaker:my-sdxl": "Made with SDXL …"} or '
           '{"bedrock:": {"en": "…", "ko": "…", "url": "https://…"}})')
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigError(f"GARDEN_CREDITS is not JSON {why}") from None
    if not isinstance(value, dict) or len(value) > MAX_CREDITS:
        raise ConfigError(f"GARDEN_CREDITS must be a JSON object of at most {MAX_CREDITS} entries {why}")
    lines = []
    for prefix, given in value.items():
        entry = {"en": given} if isinstance(given, str) else given
        if not isinstance(entry, dict) or set(entry) - {"en", "ko", "url"} or not all(
                isinstance(v, str) and 0 < len(v.strip()) <= MAX_CREDIT_LINE for v in entry.values()):
            raise ConfigError(f"GARDEN_CREDITS[{prefix[:80]!r}] must be a line of 1-{MAX_CREDIT_LINE} "
                              f"characters, or an object of en, ko and url {why}")
        if "en" not in entry:
            raise ConfigError(f"GARDEN_CREDITS[{prefix[:80]!r}] needs its English line (en) {why}")
        url = entry.get("url")
        if url is not None and not re.fullmatch(r"https?://[^\s<>\"']+", url):
            raise ConfigError(f"GARDEN_CREDITS[{prefix[:80]!r}]: url must be an http(s) address")
        lines.append(CreditLine(prefix, entry["en"].strip(), (entry.get("ko") or "").strip() or None, url))
    return tuple(lines)


@dataclass(frozen=True)
class Runtime:
    in_lambda: bool                   # AWS_LAMBDA_FUNCTION_NAME: a deployed Lambda (API Gateway in front)
    metrics: bool                     # GARDEN_METRICS: print EMF metric lines (default: in Lambda)
    stage: str                        # GARDEN_STAGE: the metrics' Stage dimension (default local)
    traced: bool                      # in Lambda with an X-Ray trace header for this invocation


def runtime(env: Mapping[str, str] | None = None) -> Runtime:
    env = os.environ if env is None else env
    in_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
    flag = (env.get("GARDEN_METRICS") or "").strip().lower()
    metrics = False if flag in ("0", "false", "no", "off") else (
        flag in ("1", "true", "yes", "on") or in_lambda)
    return Runtime(in_lambda=in_lambda, metrics=metrics,
                   stage=(env.get("GARDEN_STAGE") or "").strip() or "local",
                   traced=in_lambda and bool(env.get("_X_AMZN_TRACE_ID")))


def environment_key(env: Mapping[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """Every setting ``load`` reads from the environment, as a hashable key: the same key,
    the same settings (the composition root caches them by it)."""
    env = os.environ if env is None else env
    return tuple(sorted((k, v) for k, v in env.items() if k.startswith("GARDEN_")))


def event_bucket(env: Mapping[str, str] | None = None) -> str:
    """The bucket whose object events the app subscribes to, known when ``chalice deploy``
    imports the app (make deploy exports it from the stack's outputs)."""
    return _env(os.environ if env is None else env, "GARDEN_BUCKET") or "emotion-garden-local"


def async_topic(env: Mapping[str, str] | None = None) -> str:
    """The SNS topic asynchronous endpoints notify (their success and error topics: the
    endpoint tool makes it), known when ``chalice deploy`` imports the app: GARDEN_ASYNC_TOPIC,
    else ``emotion-garden-async``."""
    return _env(os.environ if env is None else env, "GARDEN_ASYNC_TOPIC") or "emotion-garden-async"


def _env(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name)
    return value.strip() if value and value.strip() else default


def _required(env: Mapping[str, str], name: str, why: str) -> str:
    value = _env(env, name)
    if value is None:
        raise ConfigError(f"{name} is required {why}")
    return value


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = _env(env, name)
    return Path(value).expanduser().resolve() if value else None


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = _env(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} must be between {low:g} and {high:g}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _env(env, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} must be true or false")


def parse_endpoints(raw: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if raw is None:
        if not default:
            raise ConfigError("GARDEN_ENDPOINTS is required with GARDEN_BACKEND=aws "
                              '(a JSON list such as ["sagemaker:my-sd-endpoint"])')
        return default
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigError(f"GARDEN_ENDPOINTS is not JSON: {raw!r} "
                          '(expected a list such as ["painter:", "http://127.0.0.1:8081/invocations"])') from None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError("GARDEN_ENDPOINTS must be a non-empty JSON list of endpoint URIs")
    for uri in value:
        if not uri.startswith(ENDPOINT_SCHEMES):
            raise ConfigError(f"GARDEN_ENDPOINTS: {uri!r} is not one of "
                              f"{', '.join(s + '…' for s in ENDPOINT_SCHEMES)}")
        if uri.startswith("bedrock:"):
            try:
                parse_bedrock(uri)
            except ConfigError as exc:
                raise ConfigError(f"GARDEN_ENDPOINTS: {exc}") from None
    workers = sum(endpoint_concurrency(uri) for uri in value)
    if workers > MAX_WORKERS:
        # each worker adds history events to every job; more would not fit Step Functions'
        # 25,000-event limit for the largest bulk job (tests/workflow/test_definitions.py)
        raise ConfigError(f"GARDEN_ENDPOINTS: {workers} workers in all (endpoints plus each "
                          f"Bedrock concurrency); at most {MAX_WORKERS}")
    return tuple(value)


@dataclass(frozen=True)
class BedrockEndpoint:
    model_id: str                     # e.g. stability.sd3-5-large-v1:0
    family: str                       # its request body: stability | nova-canvas
    concurrency: int                  # images in flight at once (1 unless the URI says)


def parse_bedrock(uri: str) -> BedrockEndpoint:
    """``bedrock:MODEL_ID[?concurrency=N]``, or ConfigError naming the URI and what is wrong."""
    def bad(why: str) -> ConfigError:
        return ConfigError(f"endpoint URI {uri!r} {why} (use bedrock:MODEL_ID[?concurrency=N], "
                           f"e.g. bedrock:{BEDROCK_EXAMPLES[0]}?concurrency=2)")
    if not uri.startswith("bedrock:"):
        raise bad("is not a bedrock: URI")
    model_id, _, query = uri[len("bedrock:"):].partition("?")
    if not model_id:
        raise bad("names no model")
    if model_id.startswith("arn:") or not _BEDROCK_MODEL.match(model_id):
        raise bad("does not hold a Bedrock model ID (lower-case provider.model-name:version, "
                  "not an ARN)")
    family = next((f for prefix, f in BEDROCK_FAMILIES if model_id.startswith(prefix)), None)
    if family is None:
        raise bad(f"names a model the garden cannot call: its text-to-image models are "
                  f"{', '.join(BEDROCK_EXAMPLES)} (and other versions of them)")
    concurrency = 1
    if "?" in uri:
        name, equals, value = query.partition("=")
        if name != "concurrency" or not equals:
            raise bad("takes one option, concurrency=N")
        if not (value.isascii() and value.isdigit() and len(value) <= 3
                and 1 <= int(value) <= MAX_CONCURRENCY):
            raise bad(f"has concurrency={value[:20]!r}; it must be a whole number from 1 to "
                      f"{MAX_CONCURRENCY}")
        concurrency = int(value)
    return BedrockEndpoint(model_id=model_id, family=family, concurrency=concurrency)


def endpoint_concurrency(uri: str) -> int:
    """How many images an endpoint URI may have in flight at once: a Bedrock model's
    ``concurrency``, one for every other kind (a GPU endpoint makes one image at a time)."""
    return parse_bedrock(uri).concurrency if uri.startswith("bedrock:") else 1


def parks(uri: str) -> bool:
    """Whether a worker of this endpoint parks while its image is made: an asynchronous
    endpoint (``sagemaker-async:NAME``, the painter as one) takes the request and answers
    later through a notification, so the workflow waits on a task token, not a Lambda."""
    return uri.startswith("sagemaker-async:") or uri == PAINTER_PARKED


def load(env: Mapping[str, str] | None = None, defaults: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``env`` (the process's environment by default); ``defaults`` fill in
    what it does not set (a deployed stage's environment, for the CLI's ``--stage``)."""
    env = os.environ if env is None else env
    if defaults:
        env = {**defaults, **env}
    backend = (_env(env, "GARDEN_BACKEND", LOCAL) or LOCAL).lower()
    if backend not in (LOCAL, AWS):
        raise ConfigError(f"GARDEN_BACKEND={backend!r} must be 'local' or 'aws'")
    aws = backend == AWS
    why = "when GARDEN_BACKEND=aws"
    analyzer = (_env(env, "GARDEN_ANALYZER") or ("rekognition" if aws else "local")).lower()
    if analyzer not in ("local", "rekognition"):
        raise ConfigError(f"GARDEN_ANALYZER={analyzer!r} must be 'local' or 'rekognition'")
    face_reading = (_env(env, "GARDEN_FACE_READING") or "full").lower()
    if face_reading not in FACE_READINGS:
        raise ConfigError(f"GARDEN_FACE_READING={face_reading!r} must be 'full' (every attribute) "
                          "or 'emotion' (the emotion only: no age, gender or other attributes)")
    cdn = _required(env, "GARDEN_CDN_DOMAIN", why) if aws else _env(env, "GARDEN_CDN_DOMAIN")
    public_url = f"https://{cdn}" if aws else (_env(env, "GARDEN_PUBLIC_URL") or DEFAULT_PUBLIC_URL)
    data_dir = Path(_env(env, "GARDEN_DATA_DIR") or ".garden").expanduser().resolve()
    return Settings(
        backend=backend,
        data_dir=data_dir,
        public_url=public_url.rstrip("/"),
        bucket=_required(env, "GARDEN_BUCKET", why) if aws else None,
        table=_required(env, "GARDEN_TABLE", why) if aws else None,
        cdn_domain=cdn,
        endpoints=parse_endpoints(_env(env, "GARDEN_ENDPOINTS"), () if aws else DEFAULT_LOCAL_ENDPOINTS),
        admin_key=_env(env, "GARDEN_ADMIN_KEY"),
        text2image_machine=_required(env, "GARDEN_TEXT2IMAGE_MACHINE", why) if aws else None,
        bulk_machine=_required(env, "GARDEN_BULK_MACHINE", why) if aws else None,
        wait_seconds=_number(env, "GARDEN_WAIT_SECONDS", 25.0, 0.0, 28.0),
        keep_photos_days=int(_number(env, "GARDEN_KEEP_PHOTOS_DAYS", 0, 0, 30)),
        analyzer=analyzer,
        demo=_flag(env, "GARDEN_DEMO", True),
        public_url_given=aws or _env(env, "GARDEN_PUBLIC_URL") is not None,
        tls_cert=_path(env, "GARDEN_TLS_CERT"),
        tls_key=_path(env, "GARDEN_TLS_KEY"),
        face_reading=face_reading,
        context_gender=_flag(env, "GARDEN_CONTEXT_GENDER", False),
        credits=parse_credits(_env(env, "GARDEN_CREDITS")),
        moderation=parse_moderation(env, backend=backend, data_dir=data_dir),
        grow=None if _env(env, "GARDEN_GROW") is None else _flag(env, "GARDEN_GROW", False),
        grow_per_day=int(_number(env, "GARDEN_GROW_PER_DAY", 200, 0, 100_000)),
    )
