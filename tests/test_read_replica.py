"""The read replica: the settings that configure it, the router that sends heavy reads there, the views
that read from it, and a real PostgreSQL streaming replica (deploy/local-replica.sh) proving it end to end.

In-process, the replica is a second connection to the test database (what settings' TEST MIRROR does when
DATABASE_REPLICA_URL is set); the tests are transactional so that both connections see the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from civic311.db_routing import (
    PRIMARY,
    REPLICA,
    ReplicaRouter,
    heavy_read_alias,
    heavy_reads,
    primary_reads,
    reads_from_replica,
)
from civic311.open311 import services as open311
from civic311.open311.models import ApiKey, ApiKeyActivity
from civic311.people.models import RoleAssignment, StaffRole
from civic311.service_requests.models import ServiceRequest

from .factories import filed_request, staff_in_role
from .servers import free_ports
from .survey_helpers import Month

ROOT = Path(__file__).resolve().parent.parent
LOCAL_REPLICA = ROOT / "deploy" / "local-replica.sh"
CONFIGURED = REPLICA in connections.settings  # the suite run with DATABASE_REPLICA_URL set
# Transactional: the replica's connection sees only committed rows, as a real replica does.
with_replica = pytest.mark.django_db(transaction=True, databases=[PRIMARY, REPLICA])


def sql_of(captured: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"] for query in captured.captured_queries)


class Capture:
    """The queries sent to the primary and to the replica while the block runs."""

    def __enter__(self) -> Capture:
        self._primary = CaptureQueriesContext(connections[PRIMARY])
        self._replica = CaptureQueriesContext(connections[REPLICA])
        self._primary.__enter__()
        self._replica.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._replica.__exit__(*exc)
        self._primary.__exit__(*exc)

    @property
    def primary(self) -> str:
        return sql_of(self._primary)

    @property
    def replica(self) -> str:
        return sql_of(self._replica)


@pytest.fixture(scope="module")
def replica_alias():
    """A "replica" alias on the test database, as settings' TEST MIRROR makes one, for this module's tests.

    Module-scoped so that it exists before pytest-django opens the test's databases, which must name it.
    """
    added = REPLICA not in connections.settings
    if added:
        primary = connections[PRIMARY].settings_dict
        # connections.settings is settings.DATABASES, so has_replica() sees it too.
        connections.settings[REPLICA] = {**primary, "TEST": {**primary["TEST"], "MIRROR": PRIMARY}}
    yield
    connections[REPLICA].close()
    if added:
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def replica(replica_alias):
    assert settings.DATABASES[REPLICA]
    yield connections[REPLICA]
    connections[REPLICA].close()


@pytest.fixture
def no_replica():
    """No replica configured (for the length of a test that opens no database)."""
    kept = connections.settings.pop(REPLICA, None)
    yield
    if kept is not None:
        connections.settings[REPLICA] = kept


# --- settings -----------------------------------------------------------------------------------------------

SETTINGS_ENV = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "DATABASE_CONN_MAX_AGE",
    "DATABASE_CONNECT_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT_MS",
    "DATABASE_PGBOUNCER",
    "CIVIC311_WEB_SERVER",
    "MEDIA_STORAGE",
    "MEDIA_STORAGE_OPTIONS",
    "SECRET_KEY",
    "DEBUG",
    "DATABASE_JIT",
)
PRIMARY_URL = "postgres://civic311:secret@db.internal:5432/civic311?sslmode=require"
REPLICA_URL = "postgres://civic311:secret@replica.internal:5433/civic311?sslmode=verify-full"


def load_settings(monkeypatch, **env: str) -> dict:
    """civic311/settings.py run afresh in this environment (the process's own settings are left alone)."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "civic311" / "settings.py"))


def test_a_replica_url_adds_the_replica_with_the_primarys_options(monkeypatch):
    loaded = load_settings(monkeypatch, DATABASE_URL=PRIMARY_URL, DATABASE_REPLICA_URL=REPLICA_URL)
    primary, replica = loaded["DATABASES"]["default"], loaded["DATABASES"]["replica"]
    assert (primary["HOST"], primary["PORT"], replica["HOST"], replica["PORT"]) == (
        "db.internal",
        5432,
        "replica.internal",
        5433,
    )
    prepared = {"server_side_binding": True, "prepare_threshold": 2}
    assert primary["OPTIONS"] == {"sslmode": "require", "connect_timeout": 5, "options": "-c jit=off", **prepared}
    assert replica["OPTIONS"] == {"sslmode": "verify-full", "connect_timeout": 5, "options": "-c jit=off", **prepared}
    for config in (primary, replica):
        assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"], config["DISABLE_SERVER_SIDE_CURSORS"]) == (
            60,
            True,
            False,
        )
    assert replica["TEST"] == {"MIRROR": "default"}
    assert "MIRROR" not in primary.get("TEST", {})
    assert loaded["DATABASE_ROUTERS"] == ["civic311.db_routing.ReplicaRouter"]


def test_without_a_replica_url_there_is_one_database_and_the_router_is_harmless(monkeypatch):
    loaded = load_settings(monkeypatch)
    assert list(loaded["DATABASES"]) == ["default"]
    sqlite = loaded["DATABASES"]["default"]
    assert sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE" and sqlite["CONN_MAX_AGE"] == 0
    assert "synchronous=FULL" in sqlite["OPTIONS"]["init_command"]
    assert loaded["DATABASE_ROUTERS"] == ["civic311.db_routing.ReplicaRouter"]


def test_connect_timeout_and_connection_age(monkeypatch):
    loaded = load_settings(
        monkeypatch, DATABASE_URL=PRIMARY_URL, DATABASE_CONNECT_TIMEOUT="2", DATABASE_CONN_MAX_AGE="0"
    )
    assert loaded["DATABASES"]["default"]["OPTIONS"]["connect_timeout"] == 2
    assert loaded["DATABASES"]["default"]["CONN_MAX_AGE"] == 0
    # A connect_timeout in the URL wins over the variable.
    loaded = load_settings(monkeypatch, DATABASE_URL=PRIMARY_URL + "&connect_timeout=9", DATABASE_CONNECT_TIMEOUT="2")
    assert loaded["DATABASES"]["default"]["OPTIONS"]["connect_timeout"] == 9


def test_the_statement_timeout_is_for_the_web_server_only(monkeypatch):
    env = {
        "DATABASE_URL": PRIMARY_URL + "&options=-c%20search_path%3Dcity",
        "DATABASE_REPLICA_URL": REPLICA_URL,
        "DATABASE_STATEMENT_TIMEOUT_MS": "25000",
    }
    # manage.py migrate, run_huey, a shell: never cut off.
    loaded = load_settings(monkeypatch, **env)
    assert loaded["DATABASES"]["default"]["OPTIONS"]["options"] == "-c search_path=city -c jit=off"
    assert loaded["DATABASES"]["replica"]["OPTIONS"]["options"] == "-c jit=off"
    # The processes deploy/gunicorn.conf.py starts.
    loaded = load_settings(monkeypatch, **env, CIVIC311_WEB_SERVER="1")
    assert (
        loaded["DATABASES"]["default"]["OPTIONS"]["options"]
        == "-c search_path=city -c jit=off -c statement_timeout=25000"
    )
    assert loaded["DATABASES"]["replica"]["OPTIONS"]["options"] == "-c jit=off -c statement_timeout=25000"
    # No timeout asked for: nothing sent but the JIT setting.
    loaded = load_settings(monkeypatch, DATABASE_URL=PRIMARY_URL, CIVIC311_WEB_SERVER="1")
    assert loaded["DATABASES"]["default"]["OPTIONS"]["options"] == "-c jit=off"


def test_jit_is_off_unless_asked_for_and_never_sent_through_pgbouncer(monkeypatch):
    loaded = load_settings(monkeypatch, DATABASE_URL=PRIMARY_URL, DATABASE_JIT="1")
    assert "options" not in loaded["DATABASES"]["default"]["OPTIONS"]
    loaded = load_settings(monkeypatch, DATABASE_URL=PRIMARY_URL, DATABASE_PGBOUNCER="1")
    assert "options" not in loaded["DATABASES"]["default"]["OPTIONS"]


def test_gunicorn_marks_its_processes_as_the_web_server(monkeypatch):
    monkeypatch.delenv("CIVIC311_WEB_SERVER", raising=False)
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert config["worker_class"] == "gthread"
    assert os.environ["CIVIC311_WEB_SERVER"] == "1"


def test_pgbouncer_turns_server_side_cursors_off_and_sends_no_startup_options(monkeypatch):
    loaded = load_settings(
        monkeypatch,
        DATABASE_URL=PRIMARY_URL,
        DATABASE_REPLICA_URL=REPLICA_URL,
        DATABASE_PGBOUNCER="1",
        DATABASE_STATEMENT_TIMEOUT_MS="25000",
        CIVIC311_WEB_SERVER="1",
    )
    for alias in ("default", "replica"):
        config = loaded["DATABASES"][alias]
        assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
        assert "options" not in config["OPTIONS"]
        assert "server_side_binding" not in config["OPTIONS"]  # PgBouncer before 1.21 knows no prepared statements


def test_prepared_statements_are_on_by_default_and_can_be_turned_off_or_on_behind_pgbouncer(monkeypatch):
    options = load_settings(monkeypatch, DATABASE_URL=PRIMARY_URL)["DATABASES"]["default"]["OPTIONS"]
    assert (options["server_side_binding"], options["prepare_threshold"]) == (True, 2)
    off = load_settings(monkeypatch, DATABASE_URL=PRIMARY_URL, DATABASE_PREPARED_STATEMENTS="0")
    assert "server_side_binding" not in off["DATABASES"]["default"]["OPTIONS"]
    on = load_settings(monkeypatch, DATABASE_URL=PRIMARY_URL, DATABASE_PGBOUNCER="1", DATABASE_PREPARED_STATEMENTS="1")
    assert on["DATABASES"]["default"]["OPTIONS"]["server_side_binding"] is True


def test_media_storage(monkeypatch):
    loaded = load_settings(monkeypatch)
    assert loaded["STORAGES"]["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {}}
    loaded = load_settings(
        monkeypatch,
        MEDIA_STORAGE="storages.backends.s3.S3Storage",
        MEDIA_STORAGE_OPTIONS='{"bucket_name": "civic311-media", "querystring_auth": true}',
    )
    assert loaded["STORAGES"]["default"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "civic311-media", "querystring_auth": True},
    }
    for bad in ("bucket_name=civic311-media", '["civic311-media"]', '"civic311-media"'):
        with pytest.raises(RuntimeError, match="MEDIA_STORAGE_OPTIONS must be a JSON object"):
            load_settings(monkeypatch, MEDIA_STORAGE_OPTIONS=bad)


# --- the router ---------------------------------------------------------------------------------------------


@with_replica
def test_reads_inside_heavy_reads_go_to_the_replica_and_nowhere_else(replica, service):
    filed = filed_request(service)
    assert heavy_read_alias() == REPLICA
    assert router.db_for_read(ServiceRequest) == PRIMARY
    with heavy_reads():
        assert router.db_for_read(ServiceRequest) == REPLICA
        with Capture() as sent:
            found = ServiceRequest.objects.get(pk=filed.pk)
        assert found._state.db == REPLICA
        assert '"requests_servicerequest"' in sent.replica and not sent.primary
    with Capture() as sent:
        assert ServiceRequest.objects.get(pk=filed.pk)._state.db == PRIMARY
    assert '"requests_servicerequest"' in sent.primary and not sent.replica


@with_replica
def test_writes_inside_heavy_reads_go_to_the_primary(replica, service):
    with heavy_reads():
        assert router.db_for_write(ServiceRequest) == PRIMARY
        with Capture() as sent:
            filed = filed_request(service, description="Filed during a heavy read.")
    assert filed._state.db == PRIMARY
    assert 'INSERT INTO "requests_servicerequest"' in sent.primary
    assert "INSERT" not in sent.replica and "UPDATE" not in sent.replica
    assert ServiceRequest.objects.filter(pk=filed.pk).exists()


@with_replica
def test_a_transaction_reads_the_primary_even_inside_heavy_reads(replica, service):
    filed = filed_request(service)
    with heavy_reads():
        with transaction.atomic(), Capture() as sent:
            assert router.db_for_read(ServiceRequest) == PRIMARY
            locked = ServiceRequest.objects.select_for_update().get(pk=filed.pk)  # a standby refuses this
        assert locked._state.db == PRIMARY
        assert '"requests_servicerequest"' in sent.primary and not sent.replica
        assert "FOR UPDATE" in sent.primary or replica.vendor == "sqlite"  # SQLite locks the whole file instead
        assert router.db_for_read(ServiceRequest) == REPLICA  # and after it, the replica again


@with_replica
def test_who_may_do_what_is_read_from_the_primary(replica):
    with heavy_reads():
        for model in (get_user_model(), RoleAssignment, Session, Token, ApiKey):
            assert router.db_for_read(model) == PRIMARY, model
        assert router.db_for_read(ApiKeyActivity) == REPLICA  # only the keys themselves
        # The database cache (its table through Django's stand-in model, which has no label_lower): a count
        # kept there by an Open311 list is read where it was written.
        assert router.db_for_read(DatabaseCache("civic311_cache", {}).cache_model_class) == PRIMARY
    # A row read from the replica reads its relations there (Django's rule), except who-may-do-what.
    from_replica = ServiceRequest(pk=1)
    from_replica._state.db = REPLICA
    assert router.db_for_read(ServiceRequest, instance=from_replica) == REPLICA
    assert router.db_for_read(get_user_model(), instance=from_replica) == PRIMARY


@with_replica
def test_primary_reads_inside_heavy_reads(replica):
    with heavy_reads():
        with primary_reads():
            assert router.db_for_read(ServiceRequest) == PRIMARY
        assert router.db_for_read(ServiceRequest) == REPLICA


@with_replica
def test_heavy_reads_belong_to_one_thread(replica):
    seen: dict[str, str] = {}

    def other_thread() -> None:
        seen["other"] = router.db_for_read(ServiceRequest)

    with heavy_reads():
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        seen["this"] = router.db_for_read(ServiceRequest)
    assert seen == {"this": REPLICA, "other": PRIMARY}


@with_replica
def test_the_decorator_ends_the_heavy_read_on_an_exception(replica):
    @reads_from_replica
    def failing_view(number: int) -> None:
        """A view that fails."""
        assert router.db_for_read(ServiceRequest) == REPLICA
        raise ValueError(number)

    with pytest.raises(ValueError, match="7"):
        failing_view(7)
    assert router.db_for_read(ServiceRequest) == PRIMARY
    assert (failing_view.__name__, failing_view.__doc__) == ("failing_view", "A view that fails.")


def test_without_a_replica_everything_uses_the_primary(no_replica):
    router_ = ReplicaRouter()
    assert heavy_read_alias() == PRIMARY
    with heavy_reads():
        # None is Django's own answer without a router: the primary (or where an instance came from).
        assert router_.db_for_read(ServiceRequest) is None
        assert router.db_for_read(ServiceRequest) == PRIMARY
    assert router_.db_for_write(ServiceRequest) == PRIMARY


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate(PRIMARY, "requests", model_name="servicerequest") is True
    assert router.allow_migrate(REPLICA, "requests", model_name="servicerequest") is False
    assert ReplicaRouter().allow_migrate(REPLICA, "sessions") is False


# --- the views that read the replica ------------------------------------------------------------------------


OPEN311_READS = [
    ("/open311/v2/requests.json", '"requests_servicerequest"'),
    ("/open311/v2/requests.xml?status=open&extensions=true", '"requests_servicerequest"'),
    ("/open311/v2/requests/{number}.json", '"requests_servicerequest"'),
    ("/open311/v2/services.json", '"catalogue_service"'),
    ("/open311/v2/services/SR-ST02.xml", '"catalogue_service"'),
]


@with_replica
@pytest.mark.parametrize(("url", "table"), OPEN311_READS)
def test_open311_reads_come_from_the_replica(client, replica, service, url, table):
    filed = filed_request(service)
    with Capture() as sent:
        response = client.get(url.format(number=filed.tracking_number))
    assert response.status_code == 200, response.content
    assert (filed.tracking_number if "requests" in url else service.code).encode() in response.content
    assert table in sent.replica
    assert table not in sent.primary


@with_replica
def test_an_unknown_request_is_looked_up_on_the_replica_and_is_a_404(client, replica, service):
    with Capture() as sent:
        response = client.get("/open311/v2/requests/SR-NOPE.json")
    assert response.status_code == 404
    assert '"requests_servicerequest"' in sent.replica


@with_replica
def test_an_open311_post_uses_the_primary_only(client, replica, service, jurisdiction):
    issued = open311.issue_api_key(jurisdiction, "FixMyStreet")
    report = {"service_code": service.code, "lat": "39.9526", "long": "-75.1635", "description": "Tires."}
    with Capture() as sent:
        refused = client.post("/open311/v2/requests.json", report)
        posted = client.post("/open311/v2/requests.json", {**report, "api_key": issued.key})
    assert refused.status_code == 403
    assert posted.status_code == 200, posted.content
    assert sent.replica == ""
    number = json.loads(posted.content)[0]["service_request_id"]
    assert ServiceRequest.objects.filter(tracking_number=number).exists()


NOW = dt.datetime(2026, 12, 10, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def month(jurisdiction):
    return Month(jurisdiction)


@with_replica
def test_the_satisfaction_reports_read_the_replica_after_sign_in_on_the_primary(client, replica, month):
    client.force_login(month.sue)
    urls = [
        reverse("surveys:report", args=["month", "2026-11"]),
        reverse("surveys:report_csv", args=["month", "2026-11"]),
        reverse("surveys:agent_results", args=[month.ann.pk]) + "?month=2026-11",
    ]
    with time_machine.travel(NOW, tick=False):
        for url in urls:
            with Capture() as sent:
                response = client.get(url)
            assert response.status_code == 200, url
            assert '"surveys_response"' in sent.replica, url
            assert '"surveys_response"' not in sent.primary, url
            # The session, the user and the roles were read before the heavy read began.
            assert '"django_session"' in sent.primary and '"django_session"' not in sent.replica, url
            assert 'FROM "people_roleassignment"' not in sent.replica, url
    assert b"overall" in client.get(urls[1]).content


@with_replica
def test_a_refused_report_reads_nothing_from_the_replica(client, replica, month, department):
    url = reverse("surveys:report_csv", args=["month", "2026-11"])
    with time_machine.travel(NOW, tick=False), Capture() as sent:
        anonymous = client.get(url)
        client.force_login(staff_in_role(StaffRole.DEPARTMENT_STAFF, department))
        refused = client.get(url)
        # An agent may see their own results, never a colleague's.
        client.force_login(month.bob)
        colleague = client.get(reverse("surveys:agent_results", args=[month.ann.pk]))
    assert anonymous.status_code == 302
    assert refused.status_code == 403
    assert colleague.status_code == 403
    assert '"surveys_response"' not in sent.replica


# --- a real streaming replica -------------------------------------------------------------------------------

# Run by `manage.py shell -c` with DATABASE_URL = the primary, DATABASE_REPLICA_URL = its hot standby, the
# real settings (civic311.settings) and CIVIC311_WEB_SERVER=1 (as under gunicorn). Prints one JSON line.
REPLICA_CHECK = r'''
import json
import time

from django.db import connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civic311.db_routing import REPLICA, heavy_reads
from civic311.service_requests.models import ServiceRequest
from tests.factories import ServiceFactory, filed_request


def one(alias, query):
    with connections[alias].cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchone()[0]


def on_replica(pk):
    return ServiceRequest.objects.using(REPLICA).filter(pk=pk).exists()


def replayed(pk):
    """Seconds until the replica has the row (at most 30)."""
    started = time.monotonic()
    while not on_replica(pk):
        if time.monotonic() - started > 30:
            raise SystemExit(f"request {pk} was not replayed on the replica within 30 s")
        time.sleep(0.05)
    return round(time.monotonic() - started, 3)


def listed(client):
    """Open311's GET requests.json: the numbers it lists, and which database read the requests table."""
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections[REPLICA]) as replica:
        response = client.get("/open311/v2/requests.json")
    assert response.status_code == 200, response.content
    read = lambda captured: any('"requests_servicerequest"' in q["sql"] for q in captured.captured_queries)
    return sorted(item["service_request_id"] for item in json.loads(response.content)), read(primary), read(replica)


out = {}
service = ServiceFactory(code="SR-ST02", name="Illegal Dumping")
first = filed_request(service)
out["in_recovery"] = {alias: one(alias, "SELECT pg_is_in_recovery()") for alias in ("default", REPLICA)}
out["statement_timeout"] = {alias: one(alias, "SHOW statement_timeout") for alias in ("default", REPLICA)}
out["first_replayed_after_s"] = replayed(first.pk)

with heavy_reads():
    alias = router.db_for_read(ServiceRequest)
    out["heavy_read_alias"] = alias
    out["heavy_read_connection_in_recovery"] = one(alias, "SELECT pg_is_in_recovery()")
    out["heavy_read_row_from"] = ServiceRequest.objects.get(pk=first.pk)._state.db
    out["write_alias"] = router.db_for_write(ServiceRequest)
    second = filed_request(service, description="Filed inside heavy_reads().")
    out["written_row_from"] = second._state.db
    with transaction.atomic():
        out["in_transaction_alias"] = router.db_for_read(ServiceRequest)
        ServiceRequest.objects.select_for_update().get(pk=first.pk)  # a hot standby refuses this
out["outside_alias"] = router.db_for_read(ServiceRequest)
out["second_on_primary_at_once"] = ServiceRequest.objects.filter(pk=second.pk).exists()
out["second_replayed_after_s"] = replayed(second.pk)

client = Client()
numbers, primary_read, replica_read = listed(client)
out["listed"] = numbers == sorted([first.tracking_number, second.tracking_number])
out["list_read"] = {"primary": primary_read, "replica": replica_read}

# Replay paused: the primary has a third request that the replica, and so Open311, does not have yet.
one(REPLICA, "SELECT pg_wal_replay_pause()::text")
started = time.monotonic()
while one(REPLICA, "SELECT pg_get_wal_replay_pause_state()") != "paused":
    # Replay stops at the next record it meets: give it one (a transaction id's commit).
    one("default", "SELECT txid_current()")
    if time.monotonic() - started > 10:
        raise SystemExit("the replica did not pause its replay within 10 s")
    time.sleep(0.05)
third = filed_request(service, description="Filed while the replica is paused.")
out["paused"] = {
    "primary_has_it": ServiceRequest.objects.filter(pk=third.pk).exists(),
    "replica_has_it": on_replica(third.pk),
    "detail_status": client.get(f"/open311/v2/requests/{third.tracking_number}.json").status_code,
    "listed": third.tracking_number in listed(client)[0],
}
one(REPLICA, "SELECT pg_wal_replay_resume()::text")
out["third_replayed_after_s"] = replayed(third.pk)
out["resumed"] = {
    "detail_status": client.get(f"/open311/v2/requests/{third.tracking_number}.json").status_code,
    "listed": third.tracking_number in listed(client)[0],
}
print("RESULT " + json.dumps(out))
'''


def run(*command: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=False, **options)


def local_replica(action: str, **options) -> subprocess.CompletedProcess:
    return run(shutil.which("bash") or "/bin/bash", str(LOCAL_REPLICA), action, **options)


@pytest.fixture
def streaming_replica():
    """A throw-away primary and hot standby from deploy/local-replica.sh; stopped and deleted afterwards."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("the real replica is checked once per CI run, in its PostgreSQL pass (DATABASE_URL)")
    found = local_replica("bindir")
    if found.returncode != 0:
        pytest.skip(f"no PostgreSQL server binaries (initdb, pg_basebackup) on this machine: {found.stderr.strip()}")
    folder = tempfile.mkdtemp(prefix="civic311-replica-")
    primary_port, replica_port = free_ports(2)
    env = {**os.environ, "REPLICA_DIR": folder, "PRIMARY_PORT": str(primary_port), "REPLICA_PORT": str(replica_port)}
    try:
        started = local_replica("start", env=env, timeout=90)
        assert started.returncode == 0, started.stderr
        urls = dict(
            line.removeprefix("export ").split("=", 1)
            for line in started.stdout.splitlines()
            if line.startswith("export ")
        )
        assert set(urls) == {"DATABASE_URL", "DATABASE_REPLICA_URL"}, started.stdout
        yield urls
    finally:
        local_replica("stop", env=env, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
    assert not Path(folder).exists()


def manage(*args: str, env: dict[str, str], timeout: int) -> subprocess.CompletedProcess:
    done = run(sys.executable, "manage.py", *args, cwd=ROOT, env=env, timeout=timeout)
    assert done.returncode == 0, f"manage.py {args[0]}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.replica
def test_a_real_streaming_replica(streaming_replica, tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_", "DJANGO_", "CIVIC311_", "HUEY_", "REDIS_", "MEDIA_"))
        and name not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "EMAIL_BACKEND")
    }
    env.update(
        streaming_replica,
        DJANGO_SETTINGS_MODULE="civic311.settings",
        CIVIC311_VAR_DIR=str(tmp_path),
        HUEY_IMMEDIATE="1",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
    )
    # A 1 ms statement timeout would stop any migration: it must not apply outside the web server.
    manage("migrate", "--noinput", env={**env, "DATABASE_STATEMENT_TIMEOUT_MS": "1"}, timeout=120)
    checked = manage(
        "shell",
        "-c",
        REPLICA_CHECK,
        timeout=120,
        env={**env, "CIVIC311_WEB_SERVER": "1", "DATABASE_STATEMENT_TIMEOUT_MS": "20000"},
    )
    lines = [line for line in checked.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, checked.stdout + checked.stderr
    result = json.loads(lines[-1].removeprefix("RESULT "))

    assert result["in_recovery"] == {"default": False, "replica": True}
    assert result["statement_timeout"] == {"default": "20s", "replica": "20s"}
    # Inside heavy_reads(): the router's connection is the hot standby, and the row came from it.
    assert result["heavy_read_alias"] == "replica"
    assert result["heavy_read_connection_in_recovery"] is True
    assert result["heavy_read_row_from"] == "replica"
    # Writes (a request filed through the real service, even inside heavy_reads) and transactions: the primary.
    assert result["write_alias"] == "default"
    assert result["written_row_from"] == "default"
    assert result["in_transaction_alias"] == "default"
    assert result["outside_alias"] == "default"
    assert result["second_on_primary_at_once"] is True
    # Open311's list read the replica, and listed both requests once they were replayed.
    assert result["listed"] is True
    assert result["list_read"] == {"primary": False, "replica": True}
    # With replay paused, Open311 does not have the newest request yet; the primary does. Then it catches up.
    assert result["paused"] == {"primary_has_it": True, "replica_has_it": False, "detail_status": 404, "listed": False}
    assert result["resumed"] == {"detail_status": 200, "listed": True}
    for key in ("first_replayed_after_s", "second_replayed_after_s", "third_replayed_after_s"):
        assert 0 <= result[key] < 30
