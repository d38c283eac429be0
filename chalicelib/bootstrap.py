"""The composition root: the only place that decides which adapters to build and wires them.

- Settings come from the environment (Lambda, the Chalice app), with whatever an edge hands
  over on top: the CLI its flags (``--data-dir``), the local server its own address as the
  public URL and the admin key it made (``configure``). Nothing writes ``os.environ``.
- Adapters are built lazily, once per configuration, so importing the app has no side
  effects and tests can point it elsewhere by changing the environment and ``reset()``.
- The local folder store delivers its object events to the indexer here; in AWS, S3 invokes
  ``web.routes.tasks.index_objects``, which calls the same ``index_notification``.
- The workflow's task table (``tasks()``) binds the job steps to these adapters; the local
  engine dispatches to it, and the task Lambdas (``web.routes.tasks``) call it by name.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from . import config, indexer
from .catalog import ImageIndex, JobStore, ZoneStore
from .faces import FaceAnalyzer
from .generators import Generator
from .jobs import steps
from .jobs.kinds import KINDS, Kind
from .storage import ObjectStore
from .workflow import WorkflowEngine

T = TypeVar("T")
Task = Callable[[dict[str, Any]], dict[str, Any]]

_lock = threading.RLock()
_cache: dict[tuple[str, config.Settings], Any] = {}
_overrides: dict[str, Any] = {}
_environment: dict[str, str] = {}
_settings_cache: dict[tuple[Any, ...], config.Settings] = {}


def configure(environment: Mapping[str, str] | None = None, **overrides: Any) -> None:
    """What an edge decided, kept until ``unconfigure()``: ``environment``, settings under the
    process's own (a deployed stage's, for the CLI's ``--stage``), and ``overrides`` over
    everything (``data_dir``, ``public_url``, ``admin_key``…; ``None`` changes nothing)."""
    with _lock:
        _environment.update(environment or {})
        _overrides.update({k: v for k, v in overrides.items() if v is not None})


def settings() -> config.Settings:
    """The settings now: read again whenever the environment (its GARDEN_ variables), the
    working directory or what the edges configured changed, else the ones read last time
    (reading them resolves paths: a request asks several times)."""
    with _lock:
        environment, overrides = dict(_environment), dict(_overrides)
    key = (os.getcwd(), repr(sorted(environment.items())), repr(sorted(overrides.items())),
           config.environment_key())
    cached = _settings_cache.get(key)
    if cached is not None:
        return cached
    loaded = config.load(defaults=environment)
    current = loaded.with_overrides(**overrides) if overrides else loaded
    with _lock:
        if len(_settings_cache) >= 16:
            _settings_cache.clear()
        _settings_cache[key] = current
    return current


def _once(name: str, build: Callable[[config.Settings], T]) -> T:
    current = settings()
    with _lock:
        if (name, current) not in _cache:
            _cache[(name, current)] = build(current)
        built: T = _cache[(name, current)]
        return built


def reset() -> None:
    """Forget every built adapter (tests; settings changed in the environment); local
    engines' heartbeats stop."""
    with _lock:
        for (name, _), built in _cache.items():
            if name == "heartbeat":
                built.stop()
        _cache.clear()


def unconfigure() -> None:
    """Forget what the edges handed over with ``configure`` (tests; a CLI choosing anew)."""
    with _lock:
        _overrides.clear()
        _environment.clear()


def _boto(service: str, **kwargs: Any) -> Any:
    import boto3
    return boto3.client(service, **kwargs)


# --- adapters ---------------------------------------------------------------------------------
def store() -> ObjectStore:
    def build(s: config.Settings) -> ObjectStore:
        if s.is_aws:
            from .storage.s3 import S3ObjectStore, client_config
            assert s.bucket is not None
            return S3ObjectStore(_boto("s3", config=client_config()), s.bucket, s.public_url)
        from .storage.folder import FolderObjectStore
        return FolderObjectStore(s.data_dir / "objects", s.public_url, on_event=index_notification)
    return _once("store", build)


def _database() -> Any:
    """The one database the catalog ports live in: a DynamoDB table or a SQLite file."""
    def build(s: config.Settings) -> Any:
        if s.is_aws:
            import boto3
            return boto3.resource("dynamodb").Table(s.table)
        from .catalog.sqlite import SqliteDatabase
        s.data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(s.data_dir / "catalog.sqlite3")
    return _once("database", build)


def image_index() -> ImageIndex:
    def build(s: config.Settings) -> ImageIndex:
        if s.is_aws:
            from .catalog.dynamodb import DynamoImageIndex
            return DynamoImageIndex(_database())
        from .catalog.sqlite import SqliteImageIndex
        return SqliteImageIndex(_database())
    return _once("image_index", build)


def job_store() -> JobStore:
    def build(s: config.Settings) -> JobStore:
        if s.is_aws:
            from .catalog.dynamodb import DynamoJobStore
            return DynamoJobStore(_database())
        from .catalog.sqlite import SqliteJobStore
        return SqliteJobStore(_database())
    return _once("job_store", build)


def zone_store() -> ZoneStore:
    def build(s: config.Settings) -> ZoneStore:
        if s.is_aws:
            from .catalog.dynamodb import DynamoZoneStore
            return DynamoZoneStore(_database())
        from .catalog.sqlite import SqliteZoneStore
        return SqliteZoneStore(_database())
    return _once("zone_store", build)


def generators() -> list[Generator]:
    """One generator per configured endpoint, in GARDEN_ENDPOINTS order."""
    def build(s: config.Settings) -> list[Generator]:
        from .generators.factory import build_generator
        client = bedrock = None
        if any(u.startswith("sagemaker:") for u in s.endpoints):
            from .generators.sagemaker import client_config  # read timeout, no SDK retries:
            client = _boto("sagemaker-runtime", config=client_config(60))  # the workflow retries
        if any(u.startswith("bedrock:") for u in s.endpoints):   # credentials checked here, at
            from .generators.bedrock import build_client          # start, not on an image
            bedrock = build_client(connections=len(s.workers))
        return [build_generator(uri, sagemaker_client=client, bedrock_client=bedrock)
                for uri in s.endpoints]
    return _once("generators", build)


def analyzer() -> FaceAnalyzer:
    def build(s: config.Settings) -> FaceAnalyzer:
        from .faces import build_analyzer
        client = None
        if s.analyzer == "rekognition":
            from .faces.rekognition import RETRY_CONFIG  # throttling retried with backoff
            client = _boto("rekognition", config=RETRY_CONFIG)
        return build_analyzer(s, rekognition_client=client)
    return _once("analyzer", build)


def workflow() -> WorkflowEngine:
    def build(s: config.Settings) -> WorkflowEngine:
        from .workflow import build_engine
        engine = build_engine(s, tasks())
        if engine.runner:   # a local engine: its runs live as long as this process beats
            from .jobs.runners import Heartbeat
            _cache[("heartbeat", s)] = Heartbeat(engine, job_store()).start()
        return engine
    return _once("workflow", build)


def heartbeat() -> Any:
    """The local engine's ``jobs.runners.Heartbeat`` (None in AWS)."""
    workflow()
    with _lock:
        return _cache.get(("heartbeat", settings()))


# --- wiring -----------------------------------------------------------------------------------
def index_notification(event: dict[str, Any]) -> None:
    """An object event (S3's, or the folder store's) applied to the image index."""
    indexer.handle_notification(event, store(), image_index())


def tasks() -> Mapping[str, Task]:
    """The workflow's task functions by Lambda name (the names statemachine/ and
    web/routes/tasks.py use), each bound to this configuration's adapters when it runs:
    each kind's Plan (``jobs.kinds``), then the steps every kind shares."""
    def plan(kind: Kind) -> Task:
        def plan_kind(event: dict[str, Any]) -> dict[str, Any]:
            return kind.plan(event, jobs=job_store(), endpoints=settings().workers)
        return plan_kind

    def generate(event: dict[str, Any]) -> dict[str, Any]:   # a worker's turn
        return steps.work(event, generators=generators(), store=store(), jobs=job_store())

    def record_error(event: dict[str, Any]) -> dict[str, Any]:   # a crashed worker
        return steps.record_crash(event, jobs=job_store())

    def finish(event: dict[str, Any]) -> dict[str, Any]:
        return steps.finish_job(event, jobs=job_store())

    return {name: steps.correlated(task) for name, task in (
        *((kind.plan_function, plan(kind)) for kind in KINDS),
        ("workflow_generate", generate), ("workflow_record_error", record_error),
        ("workflow_finish", finish))}


def resume_jobs() -> list[str]:
    """Local only, called as a server starts: the jobs a stopped process left RUNNING get a
    new run that makes the images they have left (``jobs.lifecycle.resume_stalled``); from
    then on the server's heartbeat takes over, every few beats, the jobs of runners that
    stop beating (a ``bulk`` killed while the server runs)."""
    if settings().is_aws:
        return []   # Step Functions runs on whatever happens to a process here
    from .jobs import lifecycle
    from .workflow.local import runner_alive
    jobs = job_store()

    def resume(engine: WorkflowEngine) -> list[str]:
        return lifecycle.resume_stalled(jobs=jobs, engine=engine, alive=runner_alive)
    beating = heartbeat()
    if beating is not None:
        beating.watch(resume)
    return resume(workflow())
