"""Insert many plain rows fast, for tables whose new rows nobody needs back as objects.

`bulk_create` builds a model instance per row and prepares every value through its field; with SQLite's
999-parameter limit that also means one INSERT per ~40 rows. For the demo's history and contacts (about
eight rows per request, millions on a big seed) that overhead is most of the run, so they go in here as
tuples: `executemany` on SQLite, `COPY` on PostgreSQL.

Columns the caller does not give get the field's default, as `bulk_create` would, so a field added to
the model later (with a default) does not break the seeder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                               [prepared(row) for row in rows])


def _default(field):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()
