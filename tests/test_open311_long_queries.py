"""1,000 service_request_id values through the documented gunicorn configuration (issue 14, item 3).

gunicorn is started exactly as production does (`gunicorn civic311.wsgi -c deploy/gunicorn.conf.py`) on a
free loopback port, against a throw-away SQLite database of its own (migrated and seeded by manage.py in
subprocesses), and called by the `requests` library and by civic311's own GeoReport client. With
gunicorn's default request-line limit (4094, and a ceiling of 8190 it silently lowers any larger
setting to) the 1,000 ids were an HTML 414 page.
"""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests as http

from civic311.open311.endpoints import MAX_QUERY_CHARS
from civic311.open311.georeport_client import GeoReportClient
from civic311.open311.selectors import MAX_REQUEST_IDS, TRACKING_NUMBER_MAX

from .servers import answers, free_port, wait_until

# The module-scoped gunicorn is started once: all of this module's tests run on one xdist worker
# (bin/test and CI run pytest with --dist loadgroup). Its database is its own SQLite file whatever
# DATABASE_URL says, so .ci/run runs it once, in the SQLite pass (own_database).
pytestmark = [pytest.mark.xdist_group("open311_long_queries"), pytest.mark.own_database]

ROOT = Path(__file__).resolve().parent.parent
# 1,000 ids of the longest length; three of them name real requests (the first, a middle one, the last).
NUMBERS = [f"{n:0{TRACKING_NUMBER_MAX}d}" for n in range(1, MAX_REQUEST_IDS + 1)]
FILED = [NUMBERS[0], NUMBERS[499], NUMBERS[-1]]
SEED = f"""
from civic311.service_requests.models import ServiceRequest
from tests.factories import JurisdictionFactory, ServiceFactory, filed_request

service = ServiceFactory(jurisdiction=JurisdictionFactory(), code="SR-ST02", name="Illegal Dumping")
for number in {FILED!r}:
    filed = filed_request(service)
    ServiceRequest.objects.filter(pk=filed.pk).update(tracking_number=number)
"""


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory) -> Iterator[str]:
    """The base URL of gunicorn serving civic311 with deploy/gunicorn.conf.py."""
    var_dir = tmp_path_factory.mktemp("gunicorn-var")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "civic311.settings",
        "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
        "CIVIC311_VAR_DIR": str(var_dir),
        "DEBUG": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    for name in ("GUNICORN_BIND", "SECRET_KEY", "REDIS_URL", "DATABASE_REPLICA_URL", "HUEY_IMMEDIATE"):
        env.pop(name, None)
    python = Path(sys.executable)
    subprocess.run([str(python), "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([str(python), "manage.py", "shell", "-c", SEED], cwd=ROOT, env=env, check=True)
    log_path = var_dir / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(python.parent / "gunicorn"), "civic311.wsgi:application", "-c", "deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(answers(f"{url}/open311/v2/discovery.json"), process=process, log=log_path, what="gunicorn")
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_the_configured_request_line_holds_the_longest_accepted_query(monkeypatch):
    monkeypatch.setenv("CIVIC311_WEB_SERVER", "")  # the file sets it; put it back after
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    longest_line = len("GET /open311/v2/requests.json? HTTP/1.1") + MAX_QUERY_CHARS
    assert config["limit_request_line"] >= longest_line
    ids_query = len("service_request_id=") + MAX_REQUEST_IDS * TRACKING_NUMBER_MAX + (MAX_REQUEST_IDS - 1) * 3
    assert ids_query + 1000 <= MAX_QUERY_CHARS  # with room for jurisdiction_id, api_key and the rest


def test_a_thousand_ids_through_gunicorn(gunicorn):
    params = {"service_request_id": ",".join(NUMBERS), "jurisdiction_id": "phila.gov", "extensions": "true"}
    with http.Session() as session:
        response = session.get(f"{gunicorn}/open311/v2/requests.json", params=params, timeout=60)
        assert len(response.request.url or "") > 8190  # beyond anything gunicorn's own ceiling allowed
        assert response.status_code == 200, response.text[:500]
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert [item["service_request_id"] for item in response.json()] == FILED
        # The same in XML.
        response = session.get(f"{gunicorn}/open311/v2/requests.xml", params=params, timeout=60)
        assert response.status_code == 200 and response.text.count("<request>") == 3
    # civic311's own client, which sends the ids as one comma list.
    client = GeoReportClient(f"{gunicorn}/open311/v2", jurisdiction_id="phila.gov")
    try:
        assert [found.service_request_id for found in client.get_requests(NUMBERS)] == FILED
    finally:
        client.session.close()


def test_an_over_long_query_is_a_400_in_the_callers_format_through_gunicorn(gunicorn):
    numbers = "%2C".join(NUMBERS)
    over = f"service_request_id={numbers}&description={'x' * (MAX_QUERY_CHARS - len(numbers))}"
    with http.Session() as session:
        response = session.get(f"{gunicorn}/open311/v2/requests.json?{over}", timeout=60)
        assert response.status_code == 400
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.json()[0]["code"] == 400 and "too long" in response.json()[0]["description"]
        response = session.get(f"{gunicorn}/open311/v2/requests.xml?{over}", timeout=60)
        assert response.status_code == 400
        assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?><errors>')
        # Far beyond it gunicorn refuses the line itself: the limit is a limit, not "unlimited".
        response = session.get(f"{gunicorn}/open311/v2/requests.json?{over}{'x' * 20_000}", timeout=60)
        assert response.status_code in (400, 414)
