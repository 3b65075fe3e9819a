"""What another process sees, for tests of settings read at start-up and of bin/demo: the real settings
(not tests/settings.py) in a clean environment, and bin/demo run in a stand-in copy of the project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clean_environment(*dropped: str, **extra: str) -> dict[str, str]:
    """This process's environment without the suite's DJANGO_SETTINGS_MODULE nor `dropped`, with the
    checkout importable, and `extra` on top."""
    env = {name: value for name, value in os.environ.items() if name not in {"DJANGO_SETTINGS_MODULE", *dropped}}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def printed(code: str, *, dropped: tuple[str, ...] = (), **env: str) -> str:
    """What `python -c code` prints, run from the checkout in `clean_environment(*dropped, **env)`."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean_environment(*dropped, **env),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def run_bin_demo(
    project: Path, *, python: str, setup: str = "exit 0\n", dropped: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """bin/demo, copied into `project`, whose `.venv/bin/python` and `bin/setup` are the stand-in bash
    scripts `python` and `setup` (so nothing is installed, seeded or served)."""
    (project / "bin").mkdir()
    shutil.copy(ROOT / "bin" / "demo", project / "bin" / "demo")
    (project / "bin" / "setup").write_text(setup)
    (project / ".venv" / "bin").mkdir(parents=True)
    stand_in = project / ".venv" / "bin" / "python"
    stand_in.write_text(python)
    stand_in.chmod(0o755)
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(project / "bin" / "demo")],
        env=clean_environment(*dropped, **env),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the caller's assertion shows stderr when it fails
    )
