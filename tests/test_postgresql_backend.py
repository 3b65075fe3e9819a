"""civic311/postgresql: a kept connection's health check asks the server nothing while its socket is quiet, and
still finds a connection the server ended (a restart, pg_terminate_backend) and opens a new one."""

from __future__ import annotations

import time

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the backend is PostgreSQL's"),
]


@pytest.fixture
def kept():
    """A second connection with the default's settings, kept between "requests" and health-checked."""
    wrapper = connections.create_connection("default")
    wrapper.settings_dict["CONN_HEALTH_CHECKS"] = True
    wrapper.settings_dict["CONN_MAX_AGE"] = 60
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def a_request_begins(wrapper) -> None:
    wrapper.close_if_unusable_or_obsolete()  # what Django does on request_started
    assert wrapper.connection is not None and not wrapper.health_check_done


def recording_is_usable(kept, monkeypatch) -> list:
    """Django's SELECT 1 check, run as ever, and each call of it recorded."""
    asked = []
    usable = type(kept).is_usable

    def recorded(self) -> bool:
        asked.append(self)
        return usable(self)

    monkeypatch.setattr(type(kept), "is_usable", recorded)
    return asked


def test_the_engine_is_civic311s():
    assert type(connections["default"]).__module__ == "civic311.postgresql.base"


def test_a_quiet_connection_is_not_asked_select_1(kept, monkeypatch):
    asked = recording_is_usable(kept, monkeypatch)
    a_request_begins(kept)
    first = kept.connection
    with kept.cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)
    assert asked == [] and kept.connection is first and kept.health_check_done


def test_a_connection_the_server_ended_is_found_and_replaced(kept):
    with kept.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    a_request_begins(kept)
    ended = kept.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while kept._nothing_to_read() and time.monotonic() < deadline:  # the server's goodbye is on its way
        time.sleep(0.01)

    with kept.cursor() as cursor:  # the request's first query: no error, on a new connection
        cursor.execute("SELECT pg_backend_pid()")
        [new_pid] = cursor.fetchone()
    assert kept.connection is not ended and new_pid != pid


def test_in_a_transaction_django_checks_as_before(kept, monkeypatch):
    asked = recording_is_usable(kept, monkeypatch)
    kept.connection.execute("BEGIN")  # not idle: the socket alone cannot say
    a_request_begins(kept)
    kept.close_if_health_check_failed()
    assert asked == [kept]


def prepared_on(statement: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{statement}%"])
        return cursor.fetchone()[0] > 0


def test_heavy_reads_are_never_prepared_and_the_rest_is():
    """A heavy read is planned with its own values each time (a generic plan of Open311's keyset page sorted a
    whole 90 days to return 1,000 rows); other statements are prepared after their second run."""
    from civic311.db_routing import heavy_reads

    with heavy_reads(), connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute("SELECT 'heavy' || %s", ["read"])
    assert not prepared_on("'heavy' ||")
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT 'light' || %s", ["read"])
    assert prepared_on("'light' ||")
