"""The Makefile finds a Python 3.12+ by itself, and says so plainly when there is none."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "--no-print-directory", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_no_suitable_python_is_a_clear_error(tmp_path):
    old = tmp_path / "bin"
    old.mkdir()
    (old / "python3").write_text("#!/bin/sh\necho 'Python 3.11.2'\nexit 1\n")  # too old to pass the check
    (old / "python3").chmod(0o755)
    env = {"PATH": f"{old}:/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "none")}
    result = make("check-python", env=env)
    assert result.returncode != 0
    assert "needs Python 3.12 or newer" in result.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_a_python_312_in_a_pyenv_tree_is_found(tmp_path):
    found = tmp_path / "pyenv" / "versions" / "3.12.9" / "bin"
    found.mkdir(parents=True)
    (found / "python3.12").symlink_to(sys.executable)  # this interpreter is 3.12+
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "PYENV_ROOT": str(tmp_path / "pyenv")}
    result = make("check-python", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Python: {found / 'python3.12'}"
