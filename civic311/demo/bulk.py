"""Insert many plain rows fast, for tables whose new rows nobody needs back as objects.

`bulk_create` builds a model instance per row and prepares every value through its field; with SQLite's
999-parameter limit that also means one INSERT per ~40 rows. For the demo's history and contacts (about
eight rows per request, millions on a big seed) that overhead is most of the run, so they go in here as
tuples: `executemany` on SQLite, `COPY` on PostgreSQL.

Columns the caller does not give get the field's default, as `bulk_create` would, so a field added to
the model later (with a default) does not break the seeder.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connections, router
from django.db.models import DateTimeField, Model
from django.utils import timezone


def insert_rows(model: type[Model], field_names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows`, each a tuple of values for `field_names` (foreign keys as ids, datetimes aware)."""
    connection = connections[router.db_for_write(model)]
    columns_by_name = {field.name: field for field in model._meta.concrete_fields}
    given = [columns_by_name[name] for name in field_names]
    others = [field for field in columns_by_name.values() if field not in given and not field.primary_key]
    defaults = tuple(field.get_db_prep_save(_default(field), connection) for field in others)
    datetime_positions = [i for i, field in enumerate(given) if isinstance(field, DateTimeField)]
    adapt = connection.ops.adapt_datetimefield_value

    def prepared(row: Sequence) -> tuple:
        values = list(row)
        for i in datetime_positions:
            values[i] = adapt(values[i])
        return (*values, *defaults)

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in [*given, *others])  # concrete: never None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(prepared(row))
        else:
            placeholders = ", ".join(["%s"] * (len(given) + len(others)))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                [prepared(row) for row in rows],
            )


def _default(field):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """`count` primary keys nobody else will get, so rows can point at each other before they are written.

    PostgreSQL takes them from the table's sequence (safe with several writers at once); SQLite has one
    writer, which takes the next numbers after the largest id it ever gave.
    """
    if count <= 0:
        return []
    connection = connections[router.db_for_write(model)]
    table = model._meta.db_table
    column = str(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # Past the largest id ever given (AUTOINCREMENT's record), so a deleted row's id is never reused.
        quote = connection.ops.quote_name
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT MAX({quote(column)}) FROM {quote(table)}), 0), "  # noqa: S608
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


@contextmanager
def relaxed_for_bulk_load() -> Iterator[None]:
    """Demo data can be made again: on PostgreSQL, do not wait for each batch's WAL flush, and skip the
    foreign-key triggers when allowed (a superuser; every id the generator writes was reserved first).
    Both are put back at the end, so the connection is an ordinary one again."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute("SET session_replication_role TO replica")
    try:
        yield
    finally:
        if connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
                if row and row[0]:
                    cursor.execute("RESET session_replication_role")


@contextmanager
def bulk_load(
    models: Sequence[type[Model]], *, enabled: bool, progress: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Load many rows into `models`' tables with their secondary indexes dropped, built again at the end.

    PostgreSQL only. Primary keys and unique constraints stay (they keep the data right); the other
    indexes are dropped, and rebuilt from their own definitions even if the load fails, then the tables
    are vacuumed and analysed so the planner knows their new size. Building an index once over sorted
    data is many times faster than updating it row by row.
    """
    connection = connections["default"]
    if not enabled or connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
               WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            [tables],
        )
        dropped = cursor.fetchall()
        for name, _definition in dropped:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        with relaxed_for_bulk_load():
            yield
    finally:
        if not connection.is_usable():  # a failed load may have broken it
            connection.close()
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem TO '512MB'")
            for _name, definition in dropped:
                cursor.execute(definition)
            if progress:
                progress(f"built {len(dropped)} indexes in {time.monotonic() - started:,.0f} s")
            for table in tables:
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
