"""Links in e-mails point where the demo actually runs: `PORT=8080 bin/demo` must not send residents to
port 8000 (issue 14). The worker writes the e-mails, so the port has to reach its process too."""

from __future__ import annotations

import sys

from .child_processes import printed, run_bin_demo

# What a process started by bin/demo would put in front of an e-mail's links (no jurisdiction host is known).
PRINT_LINK_BASE = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'civic311.settings'); django.setup(); "
    "from civic311.notifications.services import site_url; print(site_url())"
)


_DROPPED = ("PORT", "NOTIFICATIONS_FALLBACK_URL", "CIVIC311_PUBLIC_URL")


def _link_base(**env: str) -> str:
    return printed(PRINT_LINK_BASE, dropped=_DROPPED, **env)


def test_without_a_public_address_links_use_the_port_the_server_runs_on():
    assert _link_base(PORT="8123") == "http://127.0.0.1:8123"
    # An address set on purpose wins over the port.
    assert _link_base(PORT="8123", NOTIFICATIONS_FALLBACK_URL="http://demo.example:9000") == "http://demo.example:9000"


def test_bin_demo_gives_its_port_to_the_web_server_and_the_worker(tmp_path):
    """bin/demo itself, in a copy of the project whose setup, seeding and servers are stand-ins that report
    the e-mail link base each process would use."""
    log = tmp_path / "links.log"
    finished = run_bin_demo(
        tmp_path,
        python=f"""#!/usr/bin/env bash
case "$*" in
  *run_huey*|*runserver*) echo "$2 $({sys.executable} -c "{PRINT_LINK_BASE}")" >> {log} ;;
  -c*) exit 1 ;;  # the "is the server up yet?" probe
esac
exit 0
""",
        dropped=_DROPPED,
        PORT="8123",
    )
    assert finished.returncode == 0, finished.stderr
    lines = sorted(log.read_text().split("\n")[:-1])
    assert lines == ["run_huey http://127.0.0.1:8123", "runserver http://127.0.0.1:8123"]
