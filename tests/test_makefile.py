"""Issue 23 item 8: `DEMO_PASSWORD=… make run` keeps the chosen password in .env.

The Makefile's .env rule runs in a scratch copy of the project's Makefile, with a
stand-in virtual environment (the stamp and a python), so nothing here is installed.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wanyuan.settings import read_env_file

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make_env(tmp_path, **env):
    shutil.copy(MAKEFILE, tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    stamp = tmp_path / ".venv" / ".installed"
    stamp.write_text("")
    os.utime(stamp, (2_000_000_000, 2_000_000_000))  # newer than pyproject.toml
    environment = {k: v for k, v in os.environ.items() if k != "DEMO_PASSWORD"}
    subprocess.run(["make", "-s", ".env"], cwd=tmp_path, check=True, capture_output=True,
                   env={**environment, **env})
    return tmp_path / ".env"


def _password_in(env_file, monkeypatch) -> str:
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    read_env_file(env_file)
    return os.environ["DEMO_PASSWORD"]


def test_the_chosen_password_is_kept_in_env(tmp_path, monkeypatch):
    chosen = "my-own Pass$word'1"
    env_file = _make_env(tmp_path, DEMO_PASSWORD=chosen)
    assert f"DEMO_PASSWORD={chosen}\n" in env_file.read_text()
    assert _password_in(env_file, monkeypatch) == chosen


def test_without_a_choice_a_random_password_is_written(tmp_path, monkeypatch):
    env_file = _make_env(tmp_path)
    assert "DEBUG=1\nDEMO_MODE=1\n" in env_file.read_text()
    assert len(_password_in(env_file, monkeypatch)) >= 16
