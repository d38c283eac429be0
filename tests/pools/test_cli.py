"""The operator's commands end to end on a local data directory: bulk with its progress bar,
pool list/publish/remove, backup and restore."""
from __future__ import annotations

import argparse
import io
import json
import logging
import re
from pathlib import Path

import pytest

from chalicelib import bootstrap, config, logs
from chalicelib.web import context
from chalicelib.cli import main
from chalicelib.cli import pools as pools_cli
from chalicelib.cli import target
from chalicelib.cli.progress import Progress, log_handler
from tests.pools.conftest import plant


def run(argv: list[str]) -> int:
    top = argparse.ArgumentParser(prog="emotion-garden")
    pools_cli.register(top.add_subparsers(dest="command", required=True))
    args = top.parse_args(argv)
    return args.func(args)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "garden"


def test_bulk_fills_the_pool_and_shows_progress(data_dir, capsys):
    code = run(["bulk", "--emotion", "calm", "--count", "2", "--favorite", "lotus",
                "--orientation", "landscape", "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    assert code == 0, (out, err)
    assert "bulk |" in err and "2/2" in err
    keys = [line for line in out.splitlines() if line.startswith("pool/")]
    assert len(keys) == 2 and all(k.startswith("pool/CALM/lotus/img_") and k.endswith("h.jpeg") for k in keys)
    assert "SUCCEEDED: 2 in the pool" in out and "prompt: A flower, lotus, " in out
    assert all(context.current().store.exists(k) for k in keys)


def test_bulk_refuses_bad_input_with_status_2(data_dir, capsys):
    assert run(["bulk", "--emotion", "bliss", "--count", "2", "--data-dir", str(data_dir)]) == 2
    assert "unknown emotion" in capsys.readouterr().err
    assert run(["bulk", "--emotion", "HAPPY", "--count", "501", "--data-dir", str(data_dir)]) == 2


def test_pool_list_publish_and_remove(data_dir, capsys, monkeypatch):
    monkeypatch.setenv("GARDEN_DATA_DIR", str(data_dir))
    context.rebuild()
    import app  # noqa: F401 - the index handler
    plant("pool/SAD/ah.jpeg")
    plant("pool/SAD/bv.jpeg")
    plant("pool/FEAR/ch.jpeg")
    assert run(["pool", "list", "--data-dir", str(data_dir)]) == 0
    out, err = capsys.readouterr()
    header, *rows = out.splitlines()
    assert header == "key\torientation\tseed\tcreated\tprompt"
    assert sorted(line.split("\t")[0] for line in rows) == [
        "pool/FEAR/ch.jpeg", "pool/SAD/ah.jpeg", "pool/SAD/bv.jpeg"]
    assert "3 image(s) in the pool" in err

    assert run(["pool", "publish", "--all", "--emotion", "SAD", "--data-dir", str(data_dir)]) == 0
    out, err = capsys.readouterr()
    assert "published\tpool/SAD/ah.jpeg\temotions/SAD/ah.jpeg" in out and "publish: 2 published, 0 failed" in err
    assert context.current().image_index.count("emotions", "SAD") == 2

    # `pool list | pool publish -`: the header is skipped, the key is the first column
    assert run(["pool", "list", "--emotion", "FEAR", "--data-dir", str(data_dir)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(capsys.readouterr().out))
    assert run(["pool", "publish", "-", "--data-dir", str(data_dir)]) == 0
    assert "publish: 1 published, 0 failed" in capsys.readouterr().err
    assert context.current().image_index.count("emotions", "FEAR") == 1

    monkeypatch.setattr("sys.stdin", io.StringIO("emotions/SAD/ah.jpeg\nemotions/SAD/zzh.jpeg\n"))
    assert run(["pool", "remove", "-", "../x", "--data-dir", str(data_dir)]) == 1
    out, err = capsys.readouterr()
    assert "removed\temotions/SAD/ah.jpeg" in out
    assert "404\temotions/SAD/zzh.jpeg" in err and "400\t../x" in err and "remove: 1 removed, 2 failed" in err
    assert context.current().image_index.count("emotions", "SAD") == 1


def test_a_failed_publish_is_not_called_published(data_dir, capsys):
    """One key that cannot be published: the bar and the last line say nothing was published
    — where the bar read "published |##########| 1/1, 1 failed"."""
    assert run(["pool", "publish", "pool/SAD/goneh.jpeg", "--data-dir", str(data_dir)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    bar, failure, last = err.splitlines()[-3:]
    assert re.match(r"publish \|#+\| 1/1, 0 published, 1 failed \[", bar), bar
    assert failure.startswith("404\tpool/SAD/goneh.jpeg\t")
    assert last == "publish: 0 published, 1 failed"


def test_backup_then_restore_into_an_empty_data_directory(tmp_path, capsys, monkeypatch):
    first, second, folder = tmp_path / "one", tmp_path / "two", tmp_path / "bk"
    monkeypatch.setenv("GARDEN_DATA_DIR", str(first))
    context.rebuild()
    import app  # noqa: F401
    plant("emotions/HAPPY/ah.jpeg")
    plant("pool/HAPPY/bv.jpeg")
    context.current().engagement.like("emotions/HAPPY/ah.jpeg", "v1")
    assert run(["backup", str(folder), "--data-dir", str(first)]) == 0
    out, err = capsys.readouterr()
    assert "2 images" in out and "1 with likes" in out and "backup |" in err
    (folder / "stray.txt").write_text("hello")

    assert run(["restore", str(folder), "--data-dir", str(second)]) == 0
    out, err = capsys.readouterr()
    assert "2 written" in out and "1 skipped" in out and "likes: 1 restored, 0 pending" in out
    assert "skipped\tstray.txt" in err
    # the CLI worked on its own garden: the one in the second data directory
    second_garden = bootstrap.build(config.load().with_overrides(data_dir=second))
    assert second_garden.image_index.get_image("emotions/HAPPY/ah.jpeg").likes == 1
    assert run(["restore", str(folder), "--data-dir", str(second)]) == 0
    assert "0 written, 2 already there" in capsys.readouterr().out


def test_a_stage_takes_its_settings_from_the_chalice_config(tmp_path, monkeypatch):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"environment_variables": {"A": "1"},
                                  "stages": {"dev": {"environment_variables": {"GARDEN_BACKEND": "aws", "A": "2"}}}}))
    assert target.stage_environment("dev", config) == {"A": "2", "GARDEN_BACKEND": "aws"}
    with pytest.raises(SystemExit, match="no stage 'prod'"):
        target.stage_environment("prod", config)


def test_a_stage_without_its_settings_is_refused_naming_them(tmp_path, capsys, monkeypatch):
    # the stage sets GARDEN_BACKEND=aws in this process: make monkeypatch remove it afterwards
    monkeypatch.setenv("GARDEN_BACKEND", "placeholder")
    monkeypatch.delenv("GARDEN_BACKEND")
    code = run(["backup", str(tmp_path / "bk"), "--stage", "dev"])
    assert code == 2 and "is required when GARDEN_BACKEND=aws" in capsys.readouterr().err


def test_the_progress_bar_on_a_file_writes_a_line_per_tenth_with_rate_and_time_left():
    stream = io.StringIO()
    bar = Progress("x", 100, stream=stream)
    for done in range(101):
        bar.update(done, failed=done // 50)
        bar.update(done, failed=done // 50)          # a repeat draws nothing
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[5].startswith("x |") and "| 50/100, 1 failed [" in lines[5]
    assert lines[-1].startswith("x |" + "#" * 10) and "| 100/100, 2 failed [" in lines[-1]
    # elapsed<remaining, rate: what tqdm says about the pace
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d, +[\d.]+ image/s\]$", lines[-1]), lines[-1]


def test_the_progress_bar_with_no_total_yet_writes_a_line_a_second_and_the_last_on_close():
    stream = io.StringIO()
    bar = Progress("reindex", 0, stream=stream, unit="object")
    for done in range(1, 500):
        bar.update(done)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("reindex 1 [") and lines[-1].startswith("reindex 499 [")
    assert len(lines) == 2 and "object/s" in lines[-1]
    # the total becomes known: a bar from then on
    stream = io.StringIO()
    bar = Progress("backup", 0, stream=stream)
    bar.update(0, total=4)
    bar.update(4, total=4)
    bar.close()
    assert re.match(r"backup \|#+\| 4/4 \[", stream.getvalue().splitlines()[-1])


def test_the_progress_bar_on_a_terminal_redraws_one_line():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True
    stream = Terminal()
    with Progress("bulk", 4, stream=stream) as bar:
        for done in range(5):
            bar.update(done)
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n") and text.count("\r") >= 2
    assert text.rstrip("\n").rsplit("\r", 1)[-1].startswith("bulk |##########| 4/4 [")


def test_log_lines_are_short_warnings_above_the_bar_and_json_stays_for_the_server():
    stream = io.StringIO()
    logs.configure_cli(log_handler(stream))
    logs.configure()                       # app.py's import does this: the CLI's choice stays
    logs.event("image_generated", endpoint="painter:")                 # info: not shown
    logs.event("image_failed", logging.WARNING, endpoint="painter:", error="EndpointTimeout")
    logging.getLogger("botocore").info("a library's info")           # not shown either
    assert stream.getvalue() == "warning: image_failed endpoint=painter: error=EndpointTimeout\n"
    logs.configure_cli(log_handler(stream), verbosity=1)
    logs.event("image_generated", endpoint="painter:", ms=12)
    assert stream.getvalue().endswith("info: image_generated endpoint=painter: ms=12\n")


def test_the_cli_prints_no_json_log_lines_unless_asked(data_dir, capsys):
    assert main(["bulk", "--emotion", "calm", "--count", "1", "--orientation", "portrait",
                 "--data-dir", str(data_dir)]) == 0
    err = capsys.readouterr().err
    assert "bulk |" in err and "1/1" in err and '{"' not in err
    assert main(["-v", "pool", "list", "--data-dir", str(data_dir)]) == 0
    assert main(["pool", "list", "--data-dir", str(data_dir), "--verbose"]) == 0


def test_bulk_no_wait_says_how_to_follow_the_job_and_is_refused_locally(data_dir, capsys):
    code = run(["bulk", "--emotion", "calm", "--count", "1", "--no-wait", "--data-dir", str(data_dir)])
    assert code == 2 and "--no-wait needs a deployed stage" in capsys.readouterr().err
    args = argparse.Namespace(stage="dev", data_dir=None)
    assert target.follow_command("20260101T000000-abc", args) == \
        "emotion-garden jobs watch 20260101T000000-abc --stage dev"
    args = argparse.Namespace(data_dir=Path("/tmp/my garden"))
    assert target.follow_command("j1", args) == "emotion-garden jobs watch j1 --data-dir '/tmp/my garden'"
