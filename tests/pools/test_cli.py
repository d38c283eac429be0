"""The operator's commands end to end on a local data directory: bulk with its progress bar,
pool list/publish/remove, backup and restore."""
from __future__ import annotations

import argparse
import io
import json

import pytest

from chalicelib import bootstrap
from chalicelib.cli import pools as pools_cli
from chalicelib.cli import target
from chalicelib.cli.progress import Progress
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
    assert "bulk [" in err and "2/2" in err
    keys = [line for line in out.splitlines() if line.startswith("pool/")]
    assert len(keys) == 2 and all(k.startswith("pool/CALM/lotus/img_") and k.endswith("h.jpeg") for k in keys)
    assert "SUCCEEDED: 2 in the pool" in out and "prompt: A flower, lotus, " in out
    assert all(bootstrap.store().exists(k) for k in keys)


def test_bulk_refuses_bad_input_with_status_2(data_dir, capsys):
    assert run(["bulk", "--emotion", "bliss", "--count", "2", "--data-dir", str(data_dir)]) == 2
    assert "unknown emotion" in capsys.readouterr().err
    assert run(["bulk", "--emotion", "HAPPY", "--count", "501", "--data-dir", str(data_dir)]) == 2


def test_pool_list_publish_and_remove(data_dir, capsys, monkeypatch):
    monkeypatch.setenv("GARDEN_DATA_DIR", str(data_dir))
    bootstrap.reset()
    import app  # noqa: F401 - the index handler
    plant("pool/SAD/ah.jpeg")
    plant("pool/SAD/bv.jpeg")
    plant("pool/FEAR/ch.jpeg")
    assert run(["pool", "list", "--data-dir", str(data_dir)]) == 0
    out, err = capsys.readouterr()
    assert sorted(line.split("\t")[0] for line in out.splitlines()) == [
        "pool/FEAR/ch.jpeg", "pool/SAD/ah.jpeg", "pool/SAD/bv.jpeg"]
    assert "3 image(s) in the pool" in err

    assert run(["pool", "publish", "--all", "--emotion", "SAD", "--data-dir", str(data_dir)]) == 0
    out, err = capsys.readouterr()
    assert "published\tpool/SAD/ah.jpeg\temotions/SAD/ah.jpeg" in out and "2 done, 0 failed" in err
    assert bootstrap.image_index().count("emotions", "SAD") == 2

    monkeypatch.setattr("sys.stdin", io.StringIO("emotions/SAD/ah.jpeg\nemotions/SAD/zzh.jpeg\n"))
    assert run(["pool", "remove", "-", "../x", "--data-dir", str(data_dir)]) == 1
    out, err = capsys.readouterr()
    assert "removed\temotions/SAD/ah.jpeg" in out
    assert "404\temotions/SAD/zzh.jpeg" in err and "400\t../x" in err and "1 done, 2 failed" in err
    assert bootstrap.image_index().count("emotions", "SAD") == 1


def test_backup_then_restore_into_an_empty_data_directory(tmp_path, capsys, monkeypatch):
    first, second, folder = tmp_path / "one", tmp_path / "two", tmp_path / "bk"
    monkeypatch.setenv("GARDEN_DATA_DIR", str(first))
    bootstrap.reset()
    import app  # noqa: F401
    plant("emotions/HAPPY/ah.jpeg")
    plant("pool/HAPPY/bv.jpeg")
    bootstrap.image_index().like("emotions/HAPPY/ah.jpeg", "v1")
    assert run(["backup", str(folder), "--data-dir", str(first)]) == 0
    out, err = capsys.readouterr()
    assert "2 images" in out and "1 with likes" in out and "backup [" in err
    (folder / "stray.txt").write_text("hello")

    assert run(["restore", str(folder), "--data-dir", str(second)]) == 0
    out, err = capsys.readouterr()
    assert "2 written" in out and "1 skipped" in out and "likes: 1 restored, 0 pending" in out
    assert "skipped\tstray.txt" in err
    assert bootstrap.settings().data_dir == second.resolve()
    assert bootstrap.image_index().get_image("emotions/HAPPY/ah.jpeg").likes == 1
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


def test_the_progress_bar_on_a_file_writes_a_line_per_tenth():
    stream = io.StringIO()
    bar = Progress("x", 100, stream=stream)
    for done in range(101):
        bar.update(done)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].startswith("x [" + "#" * 30 + "] 100/100")
