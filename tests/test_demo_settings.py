"""The demo city's app (civic311.demo: seed_demo_city, demo_login) is installed only when CIVIC311_DEMO says
so: bin/demo and the test suite set it, a production site does not. Nothing else imports it."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What a process would see with the real settings (not tests/settings.py): the app and the command.
REPORT = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'civic311.settings'; django.setup(); "
    "from django.apps import apps; from django.conf import settings; "
    "from django.core.management import get_commands; "
    "print('civic311.demo' in settings.INSTALLED_APPS, apps.is_installed('civic311.demo'), "
    "'seed_demo_city' in get_commands(), 'demo_login' in get_commands())"
)


def _environment(**extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"CIVIC311_DEMO", "DJANGO_SETTINGS_MODULE"}  # the suite itself runs with the demo
    }
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def _installed(**env: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", REPORT],
        env=_environment(**env),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.mark.parametrize("value", [None, "0"])
def test_without_the_setting_the_demo_is_not_installed(value):
    env = {} if value is None else {"CIVIC311_DEMO": value}
    assert _installed(**env) == "False False False False"


def test_with_the_setting_the_demo_and_its_commands_are_installed():
    assert _installed(CIVIC311_DEMO="1") == "True True True True"


def test_the_test_suite_runs_with_the_demo():
    from django.apps import apps

    assert apps.is_installed("civic311.demo")


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_nothing_outside_the_demo_imports_it():
    demo = ROOT / "civic311" / "demo"
    importers = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "civic311").rglob("*.py"))
        if demo not in path.parents
        and any(name == "civic311.demo" or name.startswith("civic311.demo.") for name in _imported_modules(path))
    ]
    assert importers == []


def test_bin_demo_sets_it_for_every_step(tmp_path):
    """bin/demo in a copy of the project whose setup, commands and servers are stand-ins that log what
    CIVIC311_DEMO each one was given."""
    (tmp_path / "bin").mkdir()
    shutil.copy(ROOT / "bin" / "demo", tmp_path / "bin" / "demo")
    log = tmp_path / "demo.log"
    (tmp_path / "bin" / "setup").write_text(f'echo "setup ${{CIVIC311_DEMO:-unset}}" >> {log}\n')
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    python = tmp_path / ".venv" / "bin" / "python"
    python.write_text(f"""#!/usr/bin/env bash
case "$1" in
  manage.py) echo "$2 ${{CIVIC311_DEMO:-unset}}" >> {log} ;;
  -c) exit 1 ;;  # the "is the server up yet?" probe
esac
exit 0
""")
    python.chmod(0o755)
    finished = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(tmp_path / "bin" / "demo")],
        env=_environment(PORT="8124"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the assertion below shows stderr when it fails
    )
    assert finished.returncode == 0, finished.stderr
    assert sorted(log.read_text().split("\n")[:-1]) == [
        "demo_login 1",
        "run_huey 1",
        "runserver 1",
        "seed_demo_city 1",
        "setup 1",
    ]
