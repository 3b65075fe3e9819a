"""Django's PostgreSQL backend, with a health check that needs no round trip while there is nothing to check.

With CONN_HEALTH_CHECKS, Django checks a kept connection before the first query of every request with a
`SELECT 1`: one round trip, 3.7 % of an Open311 POST's web CPU at city scale (docs/benchmarks.md). A server
that ended a connection (a restart, `pg_terminate_backend`, an idle-session timeout) says so on the socket: it
sends its FATAL message and closes. So the socket is looked at first, without waiting. Nothing to read on an
idle connection: it is as the server left it, and the check is done. Anything to read (the server's goodbye,
end of file): Django's own check runs, and closes the connection if it fails, as before.

What the `SELECT 1` would find and this does not: a peer that vanished without a word (a host powered off, a
firewall that dropped the connection silently); the request's query then fails, once, as it would have
without health checks. Django's check after a request's database error is unchanged.

Heavy reads (`db_routing.heavy_reads()`: Open311's lists, the exports, the reports) are never prepared: each is
planned with its own values. Prepared, PostgreSQL may settle on a generic plan, and for Open311's keyset page
it guessed that a service's 90 days held 375 rows and read and sorted all 165,000 (300 ms against 27 ms).
Everything else is prepared once a connection has run it twice (settings.py): an Open311 POST's statement is
planned once per connection, not once per call.

`raw_cursor()` gives psycopg's raw cursor, which takes `$1` marks and sends the statement as written (intake's
one statement, service_requests/services/filed_rows.py), opened and wrapped as Django's own cursors are.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from psycopg import pq

from civic311.db_routing import in_heavy_reads


class _Cursor(base.ServerBindingCursor):
    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        if prepare is None and in_heavy_reads():
            prepare = False
        return super().execute(query, params, prepare=prepare, binary=binary)  # type: ignore[misc]  # psycopg.Cursor.execute


class _RecordedRawCursor(base.CursorDebugWrapper):
    """Django's debug cursor records a query with its parameters filled in, which it can do for `%s` marks
    only: this one records a raw cursor's statement as sent."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    def raw_cursor(self) -> CursorWrapper:
        """psycopg's raw cursor (`$n` marks, the statement sent as written), opened as `cursor()` opens Django's:
        the health check, database errors as Django's, the query recorded when queries are (tests count them)."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(psycopg.RawCursor(self.connection))  # type: ignore[attr-defined]  # Django's own wrapping

    def make_debug_cursor(self, cursor: Any) -> CursorDebugWrapper:
        if isinstance(cursor, psycopg.RawCursor):
            return _RecordedRawCursor(cursor, self)
        return super().make_debug_cursor(cursor)

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if params.get("cursor_factory") is base.ServerBindingCursor:  # server-side binding: statements prepared
            params["cursor_factory"] = _Cursor
        return params

    def close_if_health_check_failed(self) -> None:
        # health_check_enabled and health_check_done are Django's (BaseDatabaseWrapper), untyped in django-stubs.
        due = getattr(self, "health_check_enabled", False) and not getattr(self, "health_check_done", True)
        if self.connection is not None and due and self._nothing_to_read():
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _nothing_to_read(self) -> bool:
        """True when the idle connection's socket has nothing waiting (poll with no timeout: no fd limit)."""
        connection = self.connection
        try:
            if connection.closed or connection.info.transaction_status != pq.TransactionStatus.IDLE:
                return False
            socket = connection.fileno()
        except Exception:  # noqa: BLE001  # anything odd: let Django's own check decide
            return False
        waiting = select.poll()
        waiting.register(socket, select.POLLIN | select.POLLPRI)
        return not waiting.poll(0)
