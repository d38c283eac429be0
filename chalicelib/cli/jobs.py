"""``emotion-garden jobs list | show ID | cancel ID | pause ID | resume ID | priority ID N |
watch ID``: the operator's view of the generation jobs, on the local data directory or a
deployed stage (``--stage``) — the same use cases as ``GET /jobs``, ``GET /jobs/{id}`` and
``POST /jobs/{id}/cancel|pause|resume|priority``.

Exit status: 0 done (watch: the job SUCCEEDED), 1 the job ended otherwise (watch), 2 refused
(an unknown job, a finished one to cancel, a bad filter)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from ..bootstrap import Garden
from ..jobs import lifecycle
from ..jobs.record import FINAL, STATUSES, SUCCEEDED
from . import target
from .progress import Progress


def _progress(view: dict[str, Any]) -> str:
    retried = f", {view['retried']} retried" if view.get("retried") else ""
    return f"{view['completed']}/{view['requested']} made, {view['failed']} failed{retried}"


JOB_COLUMNS = ("job", "kind", "status", "progress", "created")   # jobs list's header


def _list(args: argparse.Namespace, garden: Garden) -> int:
    params = {"kind": args.kind, "status": args.status, "limit": args.limit, "cursor": args.cursor}
    page = lifecycle.list_jobs({k: v for k, v in params.items() if v is not None},
                               jobs=garden.job_store)
    print("\t".join(JOB_COLUMNS))
    if not page["jobs"]:
        print("no job" + (" matches" if args.kind or args.status else " yet"), file=sys.stderr)
    for view in page["jobs"]:
        print("\t".join([view["jobId"], view["kind"], _status(view), _progress(view),
                         str(view.get("createdAt") or "")]))
    if page.get("cursor"):
        print(f"more: emotion-garden jobs list --cursor {page['cursor']}", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace, garden: Garden) -> int:
    view = lifecycle.get_job(args.job_id, jobs=garden.job_store, engine=garden.workflow)
    if args.json:
        print(json.dumps(view, indent=2))
        return 0
    print(f"{view['jobId']}\t{view['kind']}\t{_status(view)}\t{_progress(view)}")
    for name in ("createdAt", "finishedAt", "cancelledAt", "resumed", "priority", "pausedAt",
                 "deadEndpoints"):
        value = view.get(name)
        if value is not None:
            print(f"{name}\t{', '.join(value) if isinstance(value, list) else value}")
    for line in view["errorSummary"]:
        print(f"error\t{line['endpoint'] or '-'}\t{line['error']}\t{line['failed']} failed, "
              f"{line['retried']} retried\t{line['message'] or ''}")
    for image in view["images"]:
        print(f"image\t{image['key']}\t{image.get('endpoint')}")
    return 0


def _cancel(args: argparse.Namespace, garden: Garden) -> int:
    view = lifecycle.cancel_job(args.job_id, jobs=garden.job_store,
                                engine=garden.workflow)
    print(f"{view['jobId']}\t{view['status']}\t{_progress(view)} (the images made stay)")
    return 0


def _status(view: dict[str, Any]) -> str:
    """RUNNING, or RUNNING (paused) for a paused job."""
    return f"{view['status']} (paused)" if view.get("paused") else str(view["status"])


def _pause(args: argparse.Namespace, garden: Garden) -> int:
    view = lifecycle.pause_job(args.job_id, jobs=garden.job_store, engine=garden.workflow)
    print(f"{view['jobId']}\t{_status(view)}\t{_progress(view)} (no new images until resumed)")
    return 0


def _resume(args: argparse.Namespace, garden: Garden) -> int:
    view = lifecycle.resume_job(args.job_id, jobs=garden.job_store, engine=garden.workflow)
    print(f"{view['jobId']}\t{_status(view)}\t{_progress(view)}")
    return 0


def _priority(args: argparse.Namespace, garden: Garden) -> int:
    view = lifecycle.set_priority(args.job_id, args.priority, jobs=garden.job_store,
                                  engine=garden.workflow)
    print(f"{view['jobId']}\tpriority {view['priority']}\t{_progress(view)}")
    return 0


def _watch(args: argparse.Namespace, garden: Garden) -> int:
    jobs, engine = garden.job_store, garden.workflow
    view = lifecycle.get_job(args.job_id, jobs=jobs, engine=engine)
    bar = Progress(view["jobId"], view["requested"])
    try:
        while True:
            bar.update(view["completed"] + view["failed"], view["failed"], view["requested"])
            if view["status"] in FINAL:
                break
            time.sleep(args.poll)
            view = lifecycle.get_job(args.job_id, jobs=jobs, engine=engine)
    except KeyboardInterrupt:
        bar.close()
        print(f"stopped watching; job {args.job_id} goes on", file=sys.stderr)
        return 1
    bar.close()
    print(f"{view['status']}: {_progress(view)}")
    return 0 if view["status"] == SUCCEEDED else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    jobs = subparsers.add_parser("jobs", help="list, show, watch, cancel, pause or resume "
                                              "generation jobs, or set one's priority")
    commands = jobs.add_subparsers(dest="jobs_command", required=True)
    listing = commands.add_parser("list", help="newest first, with progress")
    listing.add_argument("--kind", choices=lifecycle.KINDS)
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--limit", type=int, default=lifecycle.DEFAULT_LIST,
                         help=f"jobs per page (1-{lifecycle.MAX_LIST})")
    listing.add_argument("--cursor", help="the next page, as the previous one said")
    listing.set_defaults(func=target.guarded(_list, "emotion-garden jobs"))
    for name, run, text in (("show", _show, "one job: progress, errors by endpoint, images"),
                            ("cancel", _cancel, "stop a running job (the images made stay)"),
                            ("pause", _pause, "no new images until resumed (the one being "
                                              "made lands)"),
                            ("resume", _resume, "a paused job makes its images again"),
                            ("priority", _priority, "a running bulk job's priority, 0 (default)"
                                                    " to 9: higher jobs go first"),
                            ("watch", _watch, "a progress bar until the job ends")):
        command = commands.add_parser(name, help=text)
        command.add_argument("job_id")
        if name == "priority":
            command.add_argument("priority", type=int)
        if name == "show":
            command.add_argument("--json", action="store_true", help="the whole job as JSON")
        if name == "watch":
            command.add_argument("--poll", type=float, default=1.0, help="seconds between looks")
        command.set_defaults(func=target.guarded(run, "emotion-garden jobs"))
    for command in (listing, *[commands.choices[n] for n in ("show", "cancel", "pause",
                                                             "resume", "priority", "watch")]):
        target.add_options(command)
