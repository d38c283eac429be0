"""The composition root: the only place that decides which adapters stand behind the ports.

``build(settings, **overrides)`` makes a ``Garden``: one object holding the adapters for those
settings (each built on first use, once, so building a garden has no side effects), the
workflow's task table and the wiring of object events to the indexer. Each edge builds one:

- the Lambda lazily, on its first request or event (``web.context``);
- the CLI from its flags (``cli.target``), ``serve`` at start with its own address as the
  public URL and the admin key it made;
- tests with the adapters they hand over (``build(settings, analyzer=fake)``).

Nothing here is kept at module level: a garden lives as long as its edge holds it, and
``close()`` stops what it started (a local engine's heartbeat).

The local folder store delivers its object events to the indexer here; in AWS, S3 invokes
``web.routes.tasks.index_objects``, which calls the same ``index_notification``.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

from . import config
from .errors import ConfigError

if TYPE_CHECKING:   # the modules a garden uses load with the adapter or the task that needs
    # them: a Lambda imports what its function runs (bench/bench_lambdas.py)
    from .catalog import Engagement, ImageIndex, Job, JobStore, ZoneStore
    from .faces import FaceAnalyzer
    from .generators import Endpoint
    from .jobs.kinds import Kind
    from .jobs.runners import Heartbeat
    from .moderation import Moderation
    from .storage import ObjectStore
    from .workflow import TaskFunction, WorkflowEngine

T = TypeVar("T")
Task = Callable[[dict[str, Any]], dict[str, Any]]
ClientFactory = Callable[..., Any]   # boto3.client's shape: (service, **options) → client

# the adapters a garden builds, each of which an edge (a test) may hand over instead
ADAPTERS = ("store", "database", "image_index", "engagement", "job_store", "zone_store", "generators",
            "analyzer", "moderation", "workflow", "boto")


def _boto(service: str, **kwargs: Any) -> Any:
    import boto3
    return boto3.client(service, **kwargs)


class Garden:
    """The adapters for one set of settings, built on first use (thread-safe), and the wiring
    between them. ``overrides`` are adapters built elsewhere (tests), by the names in ADAPTERS;
    ``boto`` is the factory AWS clients are made with."""

    def __init__(self, settings: config.Settings, overrides: Mapping[str, Any] | None = None) -> None:
        unknown = set(overrides or {}) - set(ADAPTERS)
        if unknown:
            raise TypeError(f"no such adapter: {', '.join(sorted(unknown))}")
        self.settings = settings
        self.overrides: Mapping[str, Any] = dict(overrides or {})
        self._built: dict[str, Any] = dict(self.overrides)
        self._lock = threading.RLock()
        self._heartbeat: Heartbeat | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"Garden({self.settings.backend}, data={self.settings.data_dir})"

    def _once(self, name: str, make: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                self._built[name] = make()
            built: T = self._built[name]
            return built

    def with_settings(self, **changes: Any) -> Garden:
        """A new garden on these settings with ``changes`` (``config.Settings.with_overrides``)
        and the same handed-over adapters; this one is closed."""
        self.close()
        return Garden(self.settings.with_overrides(**changes), self.overrides)

    def close(self) -> None:
        """Stop what this garden started (a local engine's heartbeat)."""
        with self._lock:
            self._closed = True
            if self._heartbeat is not None:
                self._heartbeat.stop()

    # --- adapters -----------------------------------------------------------------------------
    def client(self, service: str, **options: Any) -> Any:
        """An AWS client (``boto3.client``, or the factory handed over as ``boto``)."""
        factory: ClientFactory = self._built.get("boto", _boto)
        return factory(service, **options)

    @property
    def store(self) -> ObjectStore:
        def make() -> ObjectStore:
            s = self.settings
            if s.is_aws:
                from .storage.s3 import S3ObjectStore, client_config
                assert s.bucket is not None
                return S3ObjectStore(self.client("s3", config=client_config()), s.bucket, s.public_url)
            from .storage.folder import FolderObjectStore
            return FolderObjectStore(s.data_dir / "objects", s.public_url,
                                     on_event=self._image_events)
        return self._once("store", make)

    @property
    def database(self) -> Any:
        """The one database the catalog ports live in: a DynamoDB table or a SQLite file."""
        def make() -> Any:
            s = self.settings
            if s.is_aws:
                import boto3
                return boto3.resource("dynamodb").Table(s.table)
            from .catalog.sqlite import SqliteDatabase
            s.data_dir.mkdir(parents=True, exist_ok=True)
            return SqliteDatabase(s.data_dir / "catalog.sqlite3")
        return self._once("database", make)

    @property
    def image_index(self) -> ImageIndex:
        def make() -> ImageIndex:
            if self.settings.is_aws:
                from .catalog.dynamodb import DynamoImageIndex
                return DynamoImageIndex(self.database)
            from .catalog.sqlite import SqliteImageIndex
            return SqliteImageIndex(self.database)
        return self._once("image_index", make)

    @property
    def engagement(self) -> Engagement:
        """Likes and the learned order's counters: kept beside the image index, in the same
        database, by the same adapter (a like and its place in the garden order are one
        write), handed out as its own port."""
        if "engagement" in self._built:   # handed over (tests)
            handed: Engagement = self._built["engagement"]
            return handed
        return cast("Engagement", self.image_index)   # each index adapter serves both ports

    @property
    def job_store(self) -> JobStore:
        def make() -> JobStore:
            if self.settings.is_aws:
                from .catalog.dynamodb import DynamoJobStore
                return DynamoJobStore(self.database)
            from .catalog.sqlite import SqliteJobStore
            return SqliteJobStore(self.database)
        return self._once("job_store", make)

    @property
    def zone_store(self) -> ZoneStore:
        def make() -> ZoneStore:
            if self.settings.is_aws:
                from .catalog.dynamodb import DynamoZoneStore
                return DynamoZoneStore(self.database)
            from .catalog.sqlite import SqliteZoneStore
            return SqliteZoneStore(self.database)
        return self._once("zone_store", make)

    @property
    def generators(self) -> list[Endpoint]:
        """One generator per configured endpoint, in GARDEN_ENDPOINTS order."""
        def make() -> list[Endpoint]:
            s = self.settings
            sagemaker = bedrock = s3 = control = None
            if any(u.startswith(("sagemaker:", "sagemaker-async:")) for u in s.endpoints):
                from .generators.sagemaker import client_config  # read timeout, no SDK retries:
                sagemaker = self.client("sagemaker-runtime", config=client_config(60))  # the workflow retries
            if any(u.startswith("sagemaker-async:") for u in s.endpoints):
                if not s.is_aws or not s.bucket:
                    raise ConfigError("sagemaker-async: endpoints need the AWS backend (their "
                                      "answers come back through SNS to the callback Lambda) "
                                      "and its bucket (GARDEN_BUCKET)")
                from .generators.sagemaker import client_config
                s3 = self.client("s3", config=client_config(20))
                control = self.client("sagemaker", config=client_config(5))   # capacity
            if any(u.startswith("bedrock:") for u in s.endpoints):   # credentials checked here,
                from .generators.bedrock import build_client          # at start, not on an image
                bedrock = build_client(connections=len(s.workers))
            return [build_generator(uri, sagemaker_client=sagemaker, bedrock_client=bedrock,
                                    s3_client=s3, control_client=control, bucket=s.bucket,
                                    notify=self.async_notification)
                    for uri in s.endpoints]
        return self._once("generators", make)

    @property
    def analyzer(self) -> FaceAnalyzer:
        def make() -> FaceAnalyzer:
            client = None
            if self.settings.analyzer == "rekognition":
                from .faces.rekognition import RETRY_CONFIG  # throttling retried with backoff
                client = self.client("rekognition", config=RETRY_CONFIG)
            return build_analyzer(self.settings, rekognition_client=client)
        return self._once("analyzer", make)

    @property
    def moderation(self) -> Moderation:
        """The prompt and image checks ``settings.moderation`` asks for (the block lists read
        here: a missing, empty or unreadable one is a ConfigError naming its setting)."""
        def make() -> Moderation:
            from .moderation import build_moderation
            m = self.settings.moderation
            bedrock = rekognition = None
            if m.prompts and m.guardrail_id:
                from .moderation.guardrails import RETRY_CONFIG as GUARDRAILS_RETRIES
                bedrock = self.client("bedrock-runtime", config=GUARDRAILS_RETRIES)
            if m.images:
                from .moderation.rekognition import RETRY_CONFIG as REKOGNITION_RETRIES
                rekognition = self.client("rekognition", config=REKOGNITION_RETRIES)
            return build_moderation(m, bedrock_client=bedrock, rekognition_client=rekognition)
        return self._once("moderation", make)

    @property
    def workflow(self) -> WorkflowEngine:
        def make() -> WorkflowEngine:
            engine = build_engine(self.settings, self.tasks(), client=self.client)
            if engine.runner and not self._closed:   # a local engine: its runs live as long
                from .jobs.runners import Heartbeat   # as this process beats
                self._heartbeat = Heartbeat(engine, self.job_store).start()
            return engine
        return self._once("workflow", make)

    @property
    def heartbeat(self) -> Heartbeat | None:
        """The local engine's ``jobs.runners.Heartbeat`` (None in AWS)."""
        self.workflow
        return self._heartbeat

    # --- wiring -------------------------------------------------------------------------------
    def index_notification(self, event: dict[str, Any]) -> None:
        """An object event (S3's, or the folder store's) applied to the image index."""
        from . import indexer
        indexer.handle_notification(event, self.store, self.image_index)

    def _image_events(self, event: dict[str, Any]) -> None:
        """The folder store's object events, filtered as S3 filters the stack's (``*.jpeg``:
        ``web/routes/tasks.index_objects``): an asynchronous endpoint's tickets are no images."""
        records = [r for r in event.get("Records") or []
                   if str(((r.get("s3") or {}).get("object") or {}).get("key", "")).endswith(".jpeg")]
        if records:
            self.index_notification({**event, "Records": records})

    def async_notification(self, message: str | bytes | Mapping[str, Any]) -> str:
        """An asynchronous endpoint's notification (SageMaker's, through SNS to the callback
        Lambda; the local painter's, in-process) applied to its job (``jobs.parked``)."""
        from .jobs import parked
        return parked.notified(message, generators=self.generators, store=self.store,
                               jobs=self.job_store, engine=self.workflow,
                               moderation=self.moderation)

    def tasks(self) -> Mapping[str, Task]:
        """The workflow's task functions by Lambda name (the names statemachine/ and
        web/routes/tasks.py use), bound to this garden's adapters: each kind's Plan
        (``jobs.kinds``), then the steps every kind shares."""
        from .jobs import parked, steps
        from .jobs.kinds import KINDS

        def plan(kind: Kind) -> Task:
            def plan_kind(event: dict[str, Any]) -> dict[str, Any]:
                return kind.plan(event, jobs=self.job_store, endpoints=self.settings.workers)
            return plan_kind

        def generate(event: dict[str, Any]) -> dict[str, Any]:   # a worker's turn
            if event.get("token"):   # a worker of an asynchronous endpoint: it parks
                return parked.park(event, generators=self.generators, store=self.store,
                                   jobs=self.job_store, engine=self.workflow)
            return steps.work(event, generators=self.generators, store=self.store,
                              jobs=self.job_store, moderation=self.moderation)

        def record_error(event: dict[str, Any]) -> dict[str, Any]:   # a crashed worker
            return steps.record_crash(event, jobs=self.job_store)

        def finish(event: dict[str, Any]) -> dict[str, Any]:
            return steps.finish_job(event, jobs=self.job_store)

        return {name: steps.correlated(task) for name, task in (
            *((kind.plan_function, plan(kind)) for kind in KINDS),
            ("workflow_generate", generate), ("workflow_record_error", record_error),
            ("workflow_finish", finish))}

    def resume_jobs(self) -> list[str]:
        """Local only, called as a server starts: the jobs a stopped process left RUNNING get a
        new run that makes the images they have left (``jobs.lifecycle.resume_stalled``); from
        then on the server's heartbeat takes over, every few beats, the jobs of runners that
        stop beating (a ``bulk`` killed while the server runs)."""
        if self.settings.is_aws:
            return []   # Step Functions runs on whatever happens to a process here
        from .jobs import lifecycle
        from .workflow.local import runner_alive
        jobs = self.job_store

        def resume(engine: WorkflowEngine) -> list[str]:
            return lifecycle.resume_stalled(jobs=jobs, engine=engine, alive=runner_alive)
        beating = self.heartbeat
        if beating is not None:
            beating.watch(resume)
        return resume(self.workflow)

    def jobs_left_to_resume(self) -> list[Job]:
        """Local only, asked as a server stops: the jobs its next start resumes
        (``jobs.lifecycle.left_to_resume``) — what the server says in its closing lines."""
        if self.settings.is_aws:
            return []
        from .jobs import lifecycle
        from .workflow.local import runner_alive
        return lifecycle.left_to_resume(jobs=self.job_store, engine=self.workflow,
                                        alive=runner_alive)


def build(settings: config.Settings | None = None, **overrides: Any) -> Garden:
    """The garden for ``settings`` (the environment's when None), with ``overrides``: adapters
    built elsewhere, by the names in ADAPTERS (``analyzer=``, ``generators=``, ``boto=``…)."""
    return Garden(config.load() if settings is None else settings, overrides)


# --- which adapter each setting names ----------------------------------------------------------
def build_engine(settings: config.Settings, tasks: Mapping[str, TaskFunction], *,
                 client: ClientFactory = _boto) -> WorkflowEngine:
    """Step Functions in AWS (the deployed Lambdas run the tasks there); locally the in-process
    interpreter, dispatching each Lambda invocation to ``tasks[function name]``."""
    if settings.is_aws:
        from .jobs.kinds import KINDS
        from .workflow.aws import StepFunctionsEngine
        machines = {kind.machine: settings.machine_arns.get(kind.machine_setting)
                    for kind in KINDS}
        return StepFunctionsEngine(client("stepfunctions"),
                                   {k: v for k, v in machines.items() if v})
    from .workflow.local import LocalEngine
    return LocalEngine(tasks)


def build_analyzer(settings: config.Settings, rekognition_client: Any = None) -> FaceAnalyzer:
    """The analyzer that ``settings.analyzer`` names, reading what ``settings.face_reading``
    allows. The local one is one per process and reading (its models load on first use,
    once); a Rekognition analyzer wraps the client it is given, or a new one with the retry
    configuration its package wants."""
    emotion_only = settings.face_reading == "emotion"
    if settings.analyzer == "rekognition":
        from .faces.rekognition import RekognitionAnalyzer, make_client
        return RekognitionAnalyzer(rekognition_client if rekognition_client is not None
                                   else make_client(), emotion_only=emotion_only)
    if settings.analyzer == "local":
        from .faces.local import shared_analyzer
        return shared_analyzer(emotion_only=emotion_only)
    raise ConfigError(f"GARDEN_ANALYZER={settings.analyzer!r} must be 'local' or 'rekognition'")


# SageMaker's own rule for endpoint names.
_SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_FORMS = ("painter:", "painter:?async=1", "sagemaker:NAME", "sagemaker-async:NAME",
          "bedrock:MODEL_ID[?concurrency=N]",
          "http(s)://HOST:PORT/PATH", "a1111://HOST:PORT")


def _bad(uri: str, why: str) -> ConfigError:
    return ConfigError(f"endpoint URI {uri!r} {why} (use one of {', '.join(_FORMS)})")


def _host_port(uri: str) -> tuple[str, int | None]:
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError as exc:
        raise _bad(uri, f"is malformed ({exc})") from None
    if not parts.hostname:
        raise _bad(uri, "has no host")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise _bad(uri, "may not carry a query, fragment or credentials")
    return parts.hostname, port


def build_generator(uri: str, *, timeout: float | None = None, sagemaker_client: Any = None,
                    bedrock_client: Any = None, s3_client: Any = None,
                    control_client: Any = None, bucket: str | None = None,
                    notify: Callable[[dict[str, Any]], object] | None = None) -> Endpoint:
    """The adapter for one endpoint URI (``painter:``, ``sagemaker:NAME``,
    ``bedrock:MODEL_ID[?concurrency=N]``, ``http(s)://HOST:PORT/PATH``, ``a1111://HOST:PORT``;
    a bad one is a ConfigError naming it), or the asynchronous ones (``sagemaker-async:NAME``
    writing its requests to ``bucket`` with ``s3_client``; ``painter:?async=1`` handing its
    notifications to ``notify``). ``timeout`` (seconds) overrides the adapter's
    default (60 s for GPU endpoints and Bedrock); ``sagemaker_client`` and ``bedrock_client``
    are ready sagemaker-runtime and bedrock-runtime clients (else each adapter builds its own)."""
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigError(f"endpoint URI {uri!r} is empty (use one of {', '.join(_FORMS)})")
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"endpoint {uri!r}: timeout must be positive, not {timeout!r}")
    uri = uri.strip()
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if uri == config.PAINTER_PARKED:
        if notify is None:
            raise ConfigError(f"endpoint {uri!r} needs somewhere to send its notifications")
        from .generators.painter.parked import ParkedPainter
        return ParkedPainter(uri, notify)
    if scheme == "sagemaker-async":
        name = uri[len("sagemaker-async:"):]
        if not _SAGEMAKER_NAME.match(name):
            raise _bad(uri, "does not name a SageMaker endpoint (letters, digits and '-', "
                            "at most 63)")
        if not bucket:
            raise ConfigError(f"endpoint {uri!r} needs a bucket for its requests (GARDEN_BUCKET)")
        from .generators.sagemaker_async import SageMakerAsyncGenerator
        return SageMakerAsyncGenerator(name, bucket=bucket, client=sagemaker_client, s3=s3_client,
                                       control=control_client)
    if scheme == "painter":
        if uri[len("painter:"):].strip("/"):
            raise _bad(uri, "takes no arguments but ?async=1")
        from .generators.painter import PainterGenerator  # numpy: local installs only, never in Lambda
        return PainterGenerator(uri=uri, timeout=timeout)
    if scheme == "sagemaker":
        name = uri[len("sagemaker:"):]
        if not _SAGEMAKER_NAME.match(name):
            raise _bad(uri, "does not name a SageMaker endpoint (letters, digits and '-', "
                            "at most 63)")
        from .generators.sagemaker import SageMakerGenerator
        return SageMakerGenerator(name, timeout=timeout, client=sagemaker_client)
    if scheme == "bedrock":
        endpoint = config.parse_bedrock(uri)
        from .generators.bedrock import BedrockGenerator
        return BedrockGenerator(endpoint, uri=uri, timeout=timeout, client=bedrock_client)
    if scheme in ("http", "https"):
        _host_port(uri)
        from .generators.http import HttpGenerator
        return HttpGenerator(uri, timeout=timeout)
    if scheme == "a1111":
        host, port = _host_port(uri)
        if urlsplit(uri).path.strip("/"):
            raise _bad(uri, "takes no path (the adapter calls /sdapi/v1/txt2img)")
        from .generators.a1111 import A1111Generator
        netloc = f"[{host}]" if ":" in host else host
        base = f"http://{netloc}" + (f":{port}" if port is not None else "")
        return A1111Generator(base, uri=uri, timeout=timeout)
    raise _bad(uri, "has an unknown scheme")
