"""A city's tracking numbers ("10000001", "10000002"…): unique within the city, increasing, not gap-free.

On PostgreSQL each jurisdiction has a sequence of its own (`civic311_tracking_<id>`). `nextval` takes no row
lock and writes no row version, so an intake never waits for another and leaves nothing behind to vacuum.
The jurisdiction's row, which every new request's foreign key checks, is never updated by intake: an UPDATE
of that row on every POST made its dead versions and MultiXact locks pile up under load (docs/benchmarks.md).

A number taken by an intake that then fails (a bad photo, a crash) is not used again, and numbers taken
by concurrent intakes may commit out of order: the numbers have gaps, and a request with a higher number can
appear a moment before a lower one. Nothing relies on their being gap-free; the Open311 id is unique.

On SQLite (one writer at a time) the counter is the jurisdiction's `next_tracking_number` column, advanced by
one `UPDATE … RETURNING`. On PostgreSQL that column is only where a new jurisdiction's sequence starts.
"""

from __future__ import annotations

from django.db import ProgrammingError, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper

from .models import Jurisdiction


def sequence_name(jurisdiction_id: int) -> str:
    return f"civic311_tracking_{int(jurisdiction_id)}"


def _connection(using: str | None = None) -> BaseDatabaseWrapper:
    return connections[using or router.db_for_write(Jurisdiction)]


def _pk(jurisdiction: Jurisdiction | int) -> int:
    return jurisdiction if isinstance(jurisdiction, int) else jurisdiction.pk


def _uses_sequences(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == "postgresql"


def allocate(jurisdiction: Jurisdiction | int, count: int = 1) -> list[int]:
    """`count` new tracking numbers, in increasing order (consecutive on SQLite; on PostgreSQL possibly
    interleaved with those concurrent intakes take). One round trip."""
    if count < 1:
        return []
    pk = _pk(jurisdiction)
    connection = _connection()
    with connection.cursor() as cursor:
        if _uses_sequences(connection):
            try:
                if count == 1:
                    cursor.execute("SELECT nextval(%s)", [sequence_name(pk)])
                else:
                    cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence_name(pk), count])
            except ProgrammingError as missing:  # every jurisdiction is made with its sequence (signals.py)
                raise Jurisdiction.DoesNotExist(f"no tracking numbers for jurisdiction {pk}") from missing
            return sorted(int(row[0]) for row in cursor.fetchall())
        table = connection.ops.quote_name(Jurisdiction._meta.db_table)
        cursor.execute(
            f"UPDATE {table} SET next_tracking_number = next_tracking_number + %s "  # noqa: S608
            "WHERE id = %s RETURNING next_tracking_number",
            [count, pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Jurisdiction.DoesNotExist(f"no jurisdiction {pk}")
    first = int(row[0]) - count
    return list(range(first, first + count))


def next_number(jurisdiction: Jurisdiction | int) -> int:
    """The number the next intake would take (a look, which takes nothing)."""
    pk = _pk(jurisdiction)
    connection = _connection()
    if not _uses_sequences(connection):
        return int(Jurisdiction.objects.filter(pk=pk).values_list("next_tracking_number", flat=True).get())
    with connection.cursor() as cursor:
        name = connection.ops.quote_name(sequence_name(pk))
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {name}")  # noqa: S608
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def keep_above(jurisdiction: Jurisdiction | int, number: int) -> None:
    """Move the next number past `number`, never back (imports of the city's own numbers, the demo's copies).

    On PostgreSQL `setval` is not ordered with a concurrent `nextval`: an intake at the same instant may
    take a number from just before the move. Run imports and the seeder while intake is quiet, or accept
    that one such intake may fail on the unique number (its retry takes a new one).
    """
    pk = _pk(jurisdiction)
    connection = _connection()
    if not _uses_sequences(connection):
        Jurisdiction.objects.filter(pk=pk, next_tracking_number__lte=number).update(next_tracking_number=number + 1)
        return
    with connection.cursor() as cursor:
        name = sequence_name(pk)
        quoted = connection.ops.quote_name(name)
        cursor.execute(
            f"SELECT setval(%s, %s, true) FROM {quoted} "  # noqa: S608
            "WHERE (CASE WHEN is_called THEN last_value ELSE last_value - 1 END) < %s",
            [name, number, number],
        )


def create_sequence(jurisdiction: Jurisdiction, *, using: str | None = None) -> None:
    """(Re)make the jurisdiction's sequence, starting at its `next_tracking_number` (PostgreSQL; nothing on
    SQLite). A sequence left by an earlier jurisdiction of the same id (a test database's) is replaced."""
    connection = _connection(using)
    if not _uses_sequences(connection):
        return
    name = connection.ops.quote_name(sequence_name(jurisdiction.pk))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")
        cursor.execute(f"CREATE SEQUENCE {name} START WITH {int(jurisdiction.next_tracking_number)} MINVALUE 1")


def drop_sequence(jurisdiction_id: int, *, using: str | None = None) -> None:
    connection = _connection(using)
    if _uses_sequences(connection):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {connection.ops.quote_name(sequence_name(jurisdiction_id))}")
