"""The demo city's app (civic311.demo: seed_demo_city, demo_login) is installed only when CIVIC311_DEMO says
so: bin/demo and the test suite set it, a production site does not. Nothing else imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .child_processes import ROOT, printed, run_bin_demo

# What a process would see with the real settings (not tests/settings.py): the app and the command.
REPORT = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'civic311.settings'; django.setup(); "
    "from django.apps import apps; from django.conf import settings; "
    "from django.core.management import get_commands; "
    "print('civic311.demo' in settings.INSTALLED_APPS, apps.is_installed('civic311.demo'), "
    "'seed_demo_city' in get_commands(), 'demo_login' in get_commands())"
)


def _installed(**env: str) -> str:
    return printed(REPORT, dropped=("CIVIC311_DEMO",), **env)  # the suite itself runs with the demo


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
    log = tmp_path / "demo.log"
    finished = run_bin_demo(
        tmp_path,
        setup=f'echo "setup ${{CIVIC311_DEMO:-unset}}" >> {log}\n',
        python=f"""#!/usr/bin/env bash
case "$1" in
  manage.py) echo "$2 ${{CIVIC311_DEMO:-unset}}" >> {log} ;;
  -c) exit 1 ;;  # the "is the server up yet?" probe
esac
exit 0
""",
        dropped=("CIVIC311_DEMO",),
        PORT="8124",
    )
    assert finished.returncode == 0, finished.stderr
    assert sorted(log.read_text().split("\n")[:-1]) == [
        "demo_login 1",
        "run_huey 1",
        "runserver 1",
        "seed_demo_city 1",
        "setup 1",
    ]
