"""Issue 15: the checks themselves. `.pre-commit-config.yaml` runs what bin/test runs, from .venv, without
downloading anything or rewriting a file; ruff's bug-finding rule groups stay on and catch what they are
there for; mypy checks the tests as well as the code."""

from __future__ import annotations

import io
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from mypy.config_parser import parse_config_file
from mypy.options import Options

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def _hooks() -> list[dict]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def _hook(hook_id: str) -> dict:
    [found] = [hook for hook in _hooks() if hook["id"] == hook_id]
    return found


def _ruff(source: str, filename: str = "civic311/checked_example.py") -> str:
    """ruff's findings for `source` as if it were `filename` in the tree, under pyproject.toml's rules."""
    finished = subprocess.run(
        [str(VENV_BIN / "ruff"), "check", "--no-cache", "--output-format", "concise", "--stdin-filename", filename],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,  # ruff exits 1 when it finds something: that is what these tests look at
    )
    assert finished.returncode in (0, 1), finished.stderr
    return "".join(line for line in finished.stdout.splitlines(keepends=True) if re.search(r":\d+:\d+: ", line))


# --- pre-commit ------------------------------------------------------------------------------------------


def test_every_pre_commit_hook_is_local_and_runs_a_tool_of_the_virtualenv():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    for hook in _hooks():
        assert hook["language"] == "system", hook["id"]  # nothing for pre-commit to install
        assert hook["entry"].startswith(".venv/bin/"), hook["id"]
        assert (ROOT / hook["entry"].split()[0]).exists(), hook["entry"]


def test_pre_commit_runs_what_bin_test_runs():
    assert _hook("ruff-check")["entry"].split()[1] == "check"
    assert _hook("ruff-format")["entry"].split()[1:3] == ["format", "--check"]
    assert _hook("import-linter")["entry"] == ".venv/bin/lint-imports"
    mypy = _hook("mypy")
    assert mypy["entry"] == ".venv/bin/mypy civic311 tests" and mypy["pass_filenames"] is False
    assert mypy["stages"] == ["manual"]  # slow: run when asked; bin/test always runs it
    bin_test = (ROOT / "bin" / "test").read_text(encoding="utf-8")
    assert 'step ruff "$BIN/ruff" check .' in bin_test
    assert 'step format "$BIN/ruff" format --check .' in bin_test
    assert 'step mypy "$BIN/mypy" civic311 tests' in bin_test


def test_no_hook_rewrites_a_file():
    for hook in _hooks():
        assert "--fix" not in hook["entry"].split(), hook["id"]
    assert "--check" in _hook("ruff-format")["entry"].split()


def test_the_ruff_hooks_keep_to_the_excluded_paths_even_for_a_named_file():
    # pre-commit names the files it checks; without --force-exclude a named migration would be linted.
    for hook_id in ("ruff-check", "ruff-format"):
        assert "--force-exclude" in _hook(hook_id)["entry"].split()


def test_pre_commit_accepts_the_config_without_downloading(tmp_path):
    home = tmp_path / "pre-commit-home"
    finished = subprocess.run(
        [str(VENV_BIN / "pre-commit"), "validate-config", ".pre-commit-config.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
        timeout=60,
        check=False,  # the assertion shows pre-commit's own complaint
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert not home.exists() or not [path for path in home.iterdir() if path.is_dir()]  # no repository fetched


# --- ruff --------------------------------------------------------------------------------------------------


def test_the_bug_finding_rule_groups_stay_selected():
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]
    assert {"DTZ", "INT", "PIE", "PLE", "PLW", "PGH", "T10", "ISC", "LOG", "G", "BLE", "A", "PT"} <= set(lint["select"])


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("import datetime\nNOW = datetime.datetime.now()\n", "DTZ005"),  # a naive "now"
        ("import datetime\nDAY = datetime.date.today()\n", "DTZ011"),  # the server's day, not the city's
        (
            (
                "from django.utils.translation import gettext as _\n\n"
                "def f(n: int) -> str:\n    return _(f'{n} requests')\n"
            ),
            "INT001",  # a msgid no catalogue can hold
        ),
        ('CODES = [\n    "open"\n    "closed",\n]\n', "ISC"),  # the missing comma joins two items
        ("def f() -> None:\n    try:\n        pass\n    except Exception:\n        pass\n", "BLE001"),
        ("def f(id: int) -> int:\n    return id\n", "A002"),
        ("def f() -> None:\n    breakpoint()\n", "T100"),
        ("X = 1  # type: ignore\n", "PGH003"),  # an ignore that names nothing
    ],
)
def test_ruff_flags_what_the_groups_are_there_for(source, code):
    assert f" {code}" in _ruff(source)


def test_ruff_takes_an_aware_datetime_and_a_literal_msgid():
    source = (
        "import datetime\n\n"
        "from django.utils import timezone\n"
        "from django.utils.translation import gettext as _\n\n"
        "NOW = datetime.datetime.now(datetime.UTC)\n"
        "LATER = timezone.now()\n\n\n"
        "def f(n: int) -> str:\n"
        "    return _('%(count)s requests') % {'count': n}\n"
    )
    assert _ruff(source) == ""


def test_pytest_raises_needs_a_match_for_a_broad_exception():
    source = "import pytest\n\n\ndef test_it() -> None:\n    with pytest.raises(ValueError):\n        int('x')\n"
    assert " PT011" in _ruff(source, "tests/test_checked_example.py")
    assert _ruff(source.replace("ValueError)", "ValueError, match='invalid literal')"), "tests/test_x.py") == ""


# --- mypy --------------------------------------------------------------------------------------------------


def test_mypy_checks_the_tests():
    options = Options()
    parse_config_file(options, lambda: None, str(ROOT / "pyproject.toml"), stdout=io.StringIO(), stderr=io.StringIO())
    for path in ("tests/test_intake.py", "tests/factories.py", "tests/browser/test_agent_call.py"):
        assert not any(re.search(pattern, path) for pattern in options.exclude), path
    assert options.check_untyped_defs  # a test without annotations is still checked inside
    assert any(
        re.search(pattern, "civic311/service_requests/migrations/0001_initial.py") for pattern in options.exclude
    )


def test_a_factory_call_is_typed_as_the_model_it_makes(db):
    # tests/factories.py tells mypy what factory_boy's untyped __new__ hides; at run time the call is unchanged.
    from civic311.people.models import User

    from .factories import JurisdictionFactory, ModelFactory, StaffFactory

    staff = StaffFactory()
    assert type(staff) is User and staff.pk is not None
    assert issubclass(JurisdictionFactory, ModelFactory)
