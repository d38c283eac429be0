"""The operator's command line: reindex reports what it did; a signal to a command that
follows a job says where the job goes on."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from chalicelib.cli import main
from tests.timing import scaled, wait_until

ROOT = Path(__file__).resolve().parent.parent
from chalicelib.storage.folder import FolderObjectStore
from tests.images import jpeg


def test_reindex_prints_what_it_added_updated_and_removed(tmp_path, capsys):
    data = tmp_path / "garden"
    store = FolderObjectStore(data / "objects", "http://127.0.0.1:8000")  # no events: a "lost" index
    store.put("emotions/HAPPY/ah.jpeg", jpeg())
    store.put("emotions/HAPPY/readme.txt", b"not an image")
    assert main(["reindex", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "added\temotions/HAPPY/ah.jpeg" in out and "1 added, 0 updated, 0 removed" in out
    store.delete("emotions/HAPPY/ah.jpeg")
    assert main(["reindex", "--data-dir", str(data)]) == 0
    assert "removed\temotions/HAPPY/ah.jpeg" in capsys.readouterr().out


def test_the_demo_garden_is_planted_and_indexed(tmp_path):
    import app  # noqa: F401 - the local store feeds app.index_objects
    from chalicelib import demo
    from chalicelib.web import context
    from chalicelib.rules.emotions import EMOTIONS
    store = context.current().store
    assert demo.is_empty(store)
    keys = demo.plant(store, per_orientation=1)
    assert len(keys) == 2 * len(EMOTIONS) and not demo.is_empty(store)
    catalog = context.current().image_index
    for emotion in EMOTIONS:
        assert catalog.count("emotions", emotion) == 2
    record = catalog.get_image(keys[0])
    assert record.provenance["demo"] is True and record.provenance["width"] == 1280


def test_every_subcommand_is_reachable_from_the_top_level_command():
    import argparse

    from chalicelib.cli import parser

    def leaves(command_parser, path):
        nested = [a for a in command_parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not nested:
            yield path, command_parser
        for action in nested:
            for name, sub in action.choices.items():
                yield from leaves(sub, path + [name])
    found = list(leaves(parser(), []))
    assert {" ".join(p) for p, _ in found} >= {"serve", "reindex", "analyze", "endpoint", "generate", "bulk",
                                               "pool list", "pool publish", "pool remove", "backup", "restore"}
    for path, sub in found:
        assert sub.get_default("func") is not None, path



# --- SIGTERM to a command that follows a job says what Ctrl-C says ---------------------------------
class Command:
    """``emotion-garden ARGS`` in a process of its own, its stdout and stderr read line by line."""

    def __init__(self, *argv: str, env: dict[str, str]) -> None:
        def interruptible() -> None:   # a shell's background job starts with Ctrl-C ignored
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from garden_cli import main; sys.exit(main())",
             *argv], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=interruptible)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, prefix: str) -> str:
        """The first line starting with ``prefix``, once it is printed."""
        return wait_until(lambda: next((x for x in self.lines if x.startswith(prefix)), None),
                          60, f"a line starting {prefix!r} (so far: {self.lines[-3:]})")

    def stop(self, signum: int) -> tuple[int, list[str]]:
        """``signum`` sent: its exit status and what it printed after its progress bar."""
        self.proc.send_signal(signum)
        status = self.proc.wait(scaled(30))
        self.reader.join(scaled(10))
        return status, [x for x in self.lines if " |" not in x]

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.reader.join(scaled(10))


@pytest.fixture
def slow_endpoint():
    """One endpoint that takes half a second an image: a job outlasts the test's signals."""
    from chalicelib.generators.endpoint_server import serve_endpoint
    from tests.workflow.fakes import ScriptedGenerator
    endpoint = serve_endpoint(ScriptedGenerator("http:"), delay=0.5)
    yield json.dumps([endpoint.url])
    endpoint.close()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_to_bulk_or_jobs_watch_says_where_the_job_goes_on(tmp_path, slow_endpoint, signum):
    """SIGTERM (kill, systemd, docker stop) reads as Ctrl-C: the job stays RUNNING and the
    next server resumes it; watching stops and the job goes on — where SIGTERM killed the
    command without a word."""
    data, env = str(tmp_path / "garden"), {"GARDEN_ENDPOINTS": slow_endpoint}
    bulk = Command("bulk", "--emotion", "calm", "--count", "20", "--data-dir", data, env=env)
    watch = None
    try:
        job_id = bulk.wait_for("job ").split()[1].rstrip(":")
        bulk.wait_for("bulk |")                      # following its job
        watch = Command("jobs", "watch", job_id, "--data-dir", data, env=env)
        watch.wait_for(f"{job_id} |")
        status, lines = watch.stop(signum)
        assert (status, lines[-1]) == (1, f"stopped watching; job {job_id} goes on"), lines
        status, lines = bulk.stop(signum)
        assert status == 1, lines
        assert lines[-1] == (f"stopped: job {job_id} stays RUNNING and the next start of "
                             "`emotion-garden serve` on this data directory resumes it (the "
                             "images made so far stay); `emotion-garden jobs cancel "
                             f"{job_id}` drops it instead"), lines
    finally:
        bulk.end()
        if watch is not None:
            watch.end()
    from chalicelib import bootstrap, config
    garden = bootstrap.build(config.load().with_overrides(data_dir=tmp_path / "garden"))
    assert garden.job_store.get_job(job_id)["status"] == "RUNNING"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_to_generate_says_where_its_job_goes_on(tmp_path, slow_endpoint, signum):
    generate = Command("generate", "a flower", "--count", "16", "--data-dir",
                       str(tmp_path / "garden"), env={"GARDEN_ENDPOINTS": slow_endpoint})
    try:
        job_id = generate.wait_for("job ").split()[1].rstrip(":")
        generate.wait_for("generate |")
        status, lines = generate.stop(signum)
    finally:
        generate.end()
    assert status == 1 and "Traceback" not in "\n".join(lines), lines
    assert lines[-1].startswith(f"stopped: job {job_id} stays RUNNING and the next start"), lines


def test_a_signal_to_any_other_command_is_one_line(monkeypatch, capsys):
    """A command with nothing of its own to say (backup, restore, reindex…) stops in one
    line, with Ctrl-C's status, and SIGTERM's handler is given back afterwards."""
    from chalicelib import cli
    from chalicelib.cli import serve

    def interrupted(args, garden):
        os.kill(os.getpid(), signal.SIGTERM)
        wait_until(lambda: False, 10, "the signal")   # the handler raises before this ends
    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(serve, "_reindex", interrupted)
    assert cli.main(["reindex"]) == cli.INTERRUPTED
    assert capsys.readouterr().err.splitlines()[-1] == "emotion-garden reindex: stopped"
    assert signal.getsignal(signal.SIGTERM) is before
