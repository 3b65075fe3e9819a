"""City-scale demo data: millions of requests on PostgreSQL in minutes, by copying a generated year in SQL.

Generating a request's whole life in Python costs about a millisecond of CPU, so five million would take
well over an hour on two cores. Beyond `GENERATED_AT_MOST` requests, the generator makes a year of at
most that many with full fidelity (`history.generate_history`), then this module copies it inside
PostgreSQL, set-based, until the count is reached. Each copy of a request:

- gets a new id and a new tracking number (the original's plus a fixed step per copy, so numbers stay
  unique and the jurisdiction's counter is moved past them);
- happened a little earlier: every time of the request, its history and its contacts moves back by the
  same pseudo-random 0-6 hours (a hash of the id and the copy), so a day's curve, the seasons and the
  storms keep their shape, and nothing lands in the future;
- keeps its service, department, place, answers, requester and life story — another report of the same
  kind of problem at the same spot, as cities see every day;
- points at its own copy of a duplicate's original or a parent.

Information-only contacts are copied the same way. Only PostgreSQL is supported (SQLite cities are
small; there the generator makes every request itself).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import DateTimeField, ForeignKey, Model

from civic311.jurisdictions import tracking_numbers
from civic311.jurisdictions.models import Jurisdiction
from civic311.service_requests.models import Contact, HistoryEntry, ServiceRequest

from .bulk import relaxed_for_bulk_load

# The most requests generated one by one; more are made by copying them.
GENERATED_AT_MOST = 250_000
# Each copy's times move back by up to this many seconds.
SHIFT_SECONDS = 6 * 3600


def copies_needed(requests: int) -> tuple[int, int]:
    """(requests to generate, copies in all including the generated one) for `requests` in the end."""
    copies = max(1, -(-requests // GENERATED_AT_MOST))
    return -(-requests // copies), copies


def copy_history(
    jurisdiction: Jurisdiction, *, target: int, progress: Callable[[str], None] | None = None
) -> tuple[int, int, int]:
    """Copy the jurisdiction's requests (with history and contacts) until it has `target` requests.

    Returns the rows made: (requests, history entries, contacts).
    """
    if connection.vendor != "postgresql":
        raise NotImplementedError("Copying a history in SQL needs PostgreSQL.")
    quote = connection.ops.quote_name
    requests_table = quote(ServiceRequest._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), min(id), max(id), min(tracking_number::bigint), max(tracking_number::bigint) "  # noqa: S608
            f"FROM {requests_table} WHERE jurisdiction_id = %s",
            [jurisdiction.pk],
        )
        base_count, min_id, max_id, min_number, max_number = cursor.fetchone()
        # Copies are made only from what was there before the first copy.
        cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {quote(Contact._meta.db_table)}")  # noqa: S608
        last_base_contact = cursor.fetchone()[0]
    if not base_count or base_count >= target:
        return 0, 0, 0
    with relaxed_for_bulk_load():  # this connection may be new (after the generator's workers)
        return _copy(
            jurisdiction, target, base_count, min_id, max_id, min_number, max_number, last_base_contact, progress
        )


def _copy(
    jurisdiction: Jurisdiction,
    target: int,
    base_count: int,
    min_id: int,
    max_id: int,
    min_number: int,
    max_number: int,
    last_base_contact: int,
    progress: Callable[[str], None] | None,
) -> tuple[int, int, int]:
    quote = connection.ops.quote_name
    requests_table = quote(ServiceRequest._meta.db_table)
    id_step = max_id - min_id + 1
    number_step = max_number - min_number + 1
    made = [0, 0, 0]
    copy = 0
    started = time.monotonic()
    while base_count * (copy + 1) < target:
        copy += 1
        wanted = min(base_count, target - base_count * copy)
        with connection.cursor() as cursor:
            # The base requests this copy takes: all of them, or the first `wanted` for the last copy.
            cursor.execute(
                f"SELECT max(id) FROM (SELECT id FROM {requests_table} "  # noqa: S608
                f"WHERE jurisdiction_id = %s AND id BETWEEN %s AND %s ORDER BY id LIMIT %s) AS taken",
                [jurisdiction.pk, min_id, max_id, wanted],
            )
            last_id = cursor.fetchone()[0]
            with transaction.atomic():
                made[0] += _copy_requests(cursor, jurisdiction, copy, min_id, last_id, id_step, number_step)
                made[1] += _copy_history(cursor, copy, min_id, last_id, id_step)
                made[2] += _copy_contacts(
                    cursor,
                    jurisdiction,
                    copy,
                    min_id,
                    last_id,
                    id_step,
                    last_base_contact=last_base_contact,
                    share=wanted / base_count,
                )
        if progress:
            progress(
                f"copy {copy}: {base_count * (copy) + wanted:,} of {target:,} requests "
                f"({time.monotonic() - started:,.0f} s)"
            )
    with connection.cursor() as cursor:
        top_id = max_id + copy * id_step
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [ServiceRequest._meta.db_table, top_id])
    tracking_numbers.keep_above(jurisdiction, max_number + copy * number_step)
    return made[0], made[1], made[2]


def _shift(id_expression: str, copy: int) -> str:
    # The same pseudo-random shift for a request and everything that belongs to it.
    return f"make_interval(secs => (({id_expression} * 7919 + {copy} * 104729) %% {SHIFT_SECONDS}))"


def _insert_copies(
    cursor, model: type[Model], alias: str, replace: dict[str, str], shift: str, where: str, params: list
) -> int:
    """INSERT … SELECT a copy of `model`'s rows matching `where`: `replace` gives some columns' new values,
    every other time moves back by `shift`, a primary key not replaced comes from the table's sequence."""
    quote = connection.ops.quote_name
    columns, values = [], []
    for field in model._meta.concrete_fields:
        column = str(field.column)
        if field.primary_key and column not in replace:
            continue
        columns.append(quote(column))
        if column in replace:
            values.append(replace[column])
        elif isinstance(field, DateTimeField):
            values.append(f"{alias}.{quote(column)} - {shift}")
        else:
            values.append(f"{alias}.{quote(column)}")
    table = quote(model._meta.db_table)
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "  # noqa: S608
        f"FROM {table} {alias} WHERE {where}",
        params,
    )
    return cursor.rowcount


def _copy_requests(
    cursor, jurisdiction: Jurisdiction, copy: int, min_id: int, last_id: int, id_step: int, number_step: int
) -> int:
    moved = copy * id_step
    self_links = {
        str(field.column): f"r.{field.column} + {moved}"
        for field in ServiceRequest._meta.concrete_fields
        if isinstance(field, ForeignKey) and field.related_model is ServiceRequest
    }
    return _insert_copies(
        cursor,
        ServiceRequest,
        "r",
        {
            "id": f"r.id + {moved}",
            "tracking_number": f"(r.tracking_number::bigint + {copy * number_step})::text",
            "idempotency_key": "NULL",
            **self_links,
        },
        _shift("r.id", copy),
        "r.jurisdiction_id = %s AND r.id BETWEEN %s AND %s",
        [jurisdiction.pk, min_id, last_id],
    )


def _copy_history(cursor, copy: int, min_id: int, last_id: int, id_step: int) -> int:
    return _insert_copies(
        cursor,
        HistoryEntry,
        "h",
        {"service_request_id": f"h.service_request_id + {copy * id_step}"},
        _shift("h.service_request_id", copy),
        "h.service_request_id BETWEEN %s AND %s",
        [min_id, last_id],
    )


def _copy_contacts(
    cursor,
    jurisdiction: Jurisdiction,
    copy: int,
    min_id: int,
    last_id: int,
    id_step: int,
    *,
    last_base_contact: int,
    share: float,
) -> int:
    """A request's contacts go with it; information contacts (no request) are copied in the same share
    as the requests (all of them but for the last copy; ids are random enough to pick by)."""
    replace = {"service_request_id": f"c.service_request_id + {copy * id_step}"}
    shift = _shift("COALESCE(c.service_request_id, c.id)", copy)
    made = _insert_copies(
        cursor, Contact, "c", replace, shift, "c.service_request_id BETWEEN %s AND %s", [min_id, last_id]
    )
    return made + _insert_copies(
        cursor,
        Contact,
        "c",
        replace,
        shift,
        "c.jurisdiction_id = %s AND c.service_request_id IS NULL AND c.id <= %s AND c.id %% 1000 < %s",
        [jurisdiction.pk, last_base_contact, round(share * 1000)],
    )
