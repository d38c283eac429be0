"""Which garden a command works on: the local data directory (``--data-dir``, else
GARDEN_DATA_DIR or ./.garden) or a deployed stage (``--stage dev``: the GARDEN_* settings in
``.chalice/config.json``, under whatever the environment sets). The command gets the garden
the composition root builds for that choice; nothing writes ``os.environ``."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from .. import bootstrap, config
from ..errors import GardenError

CHALICE_CONFIG = Path(__file__).resolve().parents[2] / ".chalice" / "config.json"
Command = Callable[[argparse.Namespace, bootstrap.Garden], int]


def stage_environment(stage: str, config_path: Path = CHALICE_CONFIG) -> dict[str, str]:
    """A deployed stage's Lambda environment, as ``make deploy`` wrote it."""
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"emotion-garden: cannot read {config_path}: {exc}") from None
    stages = config.get("stages") or {}
    if stage not in stages:
        raise SystemExit(f"emotion-garden: no stage {stage!r} in {config_path} "
                         f"(stages: {', '.join(sorted(stages)) or 'none'})")
    return {name: str(value) for name, value in
            {**(config.get("environment_variables") or {}),
             **(stages[stage].get("environment_variables") or {})}.items()}


def add_options(parser: argparse.ArgumentParser, stage: bool = True) -> None:
    parser.add_argument("--data-dir", type=Path, help="local data (default $GARDEN_DATA_DIR or ./.garden)")
    if stage:
        parser.add_argument("--stage", help="a deployed stage from .chalice/config.json (e.g. dev)")


def follow_command(job_id: str, args: argparse.Namespace) -> str:
    """The command that follows a job on the garden these arguments name."""
    where = [f"--stage {args.stage}"] if getattr(args, "stage", None) else []
    if getattr(args, "data_dir", None):
        where.append(f"--data-dir {shlex.quote(str(args.data_dir))}")
    return " ".join(["emotion-garden jobs watch", job_id, *where])


def left_running(job_id: str, args: argparse.Namespace, is_aws: bool) -> str:
    """What a command interrupted while it followed its job (Ctrl-C or SIGTERM) says: where
    the job goes on, and how to follow or drop it."""
    if is_aws:
        return (f"stopped watching job {job_id}; it goes on in Step Functions: "
                f"{follow_command(job_id, args)}")
    return (f"stopped: job {job_id} stays RUNNING and the next start of `emotion-garden "
            "serve` on this data directory resumes it (the images made so far stay); "
            f"`emotion-garden jobs cancel {job_id}` drops it instead")


def settings(args: argparse.Namespace, **changes: object) -> config.Settings:
    """The settings of the garden the arguments name (ConfigError names a bad one), with
    ``changes`` on top (``None`` changes nothing)."""
    stage = getattr(args, "stage", None)
    loaded = config.load(defaults=stage_environment(stage) if stage else None)
    return loaded.with_overrides(data_dir=getattr(args, "data_dir", None), **changes)


def choose(args: argparse.Namespace, **changes: object) -> bootstrap.Garden:
    """The garden the arguments name, its adapters built on first use."""
    return bootstrap.build(settings(args, **changes))


def guarded(command: Command, name: str = "emotion-garden") -> Callable[[argparse.Namespace], int]:
    """The command run on the chosen garden; a refused request or setting is one line on
    stderr and exit status 2."""
    def run(args: argparse.Namespace) -> int:
        try:
            garden = choose(args)          # a bad setting is named before any work starts
        except GardenError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 2
        try:
            return command(args, garden)
        except GardenError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 2
        finally:
            garden.close()
    return run
