"""Links in e-mails point where the demo actually runs: `PORT=8080 bin/demo` must not send residents to
port 8000 (issue 14). The worker writes the e-mails, so the port has to reach its process too."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What a process started by bin/demo would put in front of an e-mail's links (no jurisdiction host is known).
PRINT_LINK_BASE = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'civic311.settings'); django.setup(); "
    "from civic311.notifications.services import site_url; print(site_url())"
)


def _environment(**extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PORT", "NOTIFICATIONS_FALLBACK_URL", "CIVIC311_PUBLIC_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def _link_base(**env: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", PRINT_LINK_BASE],
        env=_environment(**env),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_without_a_public_address_links_use_the_port_the_server_runs_on():
    assert _link_base(PORT="8123") == "http://127.0.0.1:8123"
    # An address set on purpose wins over the port.
    assert _link_base(PORT="8123", NOTIFICATIONS_FALLBACK_URL="http://demo.example:9000") == "http://demo.example:9000"


def test_bin_demo_gives_its_port_to_the_web_server_and_the_worker(tmp_path):
    """bin/demo itself, in a copy of the project whose setup, seeding and servers are stand-ins that report
    the e-mail link base each process would use."""
    (tmp_path / "bin").mkdir()
    shutil.copy(ROOT / "bin" / "demo", tmp_path / "bin" / "demo")
    (tmp_path / "bin" / "setup").write_text("exit 0\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    log = tmp_path / "links.log"
    python = tmp_path / ".venv" / "bin" / "python"
    python.write_text(f"""#!/usr/bin/env bash
case "$*" in
  *run_huey*|*runserver*) echo "$2 $({sys.executable} -c "{PRINT_LINK_BASE}")" >> {log} ;;
  -c*) exit 1 ;;  # the "is the server up yet?" probe
esac
exit 0
""")
    python.chmod(0o755)
    bash = shutil.which("bash") or "/bin/bash"
    finished = subprocess.run(
        [bash, str(tmp_path / "bin" / "demo")],
        env=_environment(PORT="8123"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the assertion below shows stderr when it fails
    )
    assert finished.returncode == 0, finished.stderr
    lines = sorted(log.read_text().split("\n")[:-1])
    assert lines == ["run_huey http://127.0.0.1:8123", "runserver http://127.0.0.1:8123"]
