"""Writing a new request's rows: the request, its requester, its "opened" history entry with the entry's
announcement (the outbox), and the contact. `submit` builds them in memory and hands them here.

On PostgreSQL they go in as one statement (a chain of INSERTs in CTEs), with the request's idempotency key
settled by `ON CONFLICT DO NOTHING`: one round trip, no SELECT before it, and a replay writes nothing. On other
databases the ORM writes them one by one, and a replay is found by the unique constraint's IntegrityError.
The two write the same rows (tests/test_filed_rows.py compares them field by field).

Why plain SQL here and nowhere else: this is the write every channel's intake makes, at city scale hundreds a
second (issue 22). Five ORM `create()` calls cost about 3 ms of the web process's CPU and five round trips
per POST; this statement is one, built once per process and prepared by PostgreSQL once per connection. Its
columns come from the models themselves, so a new field needs no change here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from civic311.people.models import Requester
from civic311.postgresql.base import DatabaseWrapper as PostgreSQL

from ..models import Announcement, Contact, HistoryEntry, ServiceRequest


@dataclass
class FiledRows:
    """The rows of one filing, built but not saved (their ids are set once written). `extra`: a caller's own
    rows that point at the request through a `service_request` field (Open311's audit of the key's call)."""

    service_request: ServiceRequest
    requester: Requester | None
    opened: HistoryEntry
    contact: Contact | None
    extra: Sequence[models.Model] = ()


def _connection() -> BaseDatabaseWrapper:
    return connections[router.db_for_write(ServiceRequest)]


def writes_in_one_statement() -> bool:
    """True where `write` is a single statement, which needs no transaction of its own around it."""
    return _connection().vendor == "postgresql"


class AlreadyFiled(Exception):
    """The idempotency key was filed before (or by a concurrent intake, which won): nothing was written."""


def write(rows: FiledRows) -> None:
    """Write the rows, inside the caller's transaction. Raises AlreadyFiled when the request's idempotency
    key is taken; nothing is then written, and the transaction is still usable."""
    connection = _connection()
    if writes_in_one_statement():
        _write_in_one_statement(rows, connection)
    else:
        _write_with_the_orm(rows)
    for instance in (rows.service_request, rows.requester, rows.opened, rows.contact, *rows.extra):
        if instance is not None:
            instance._state.adding = False
            instance._state.db = connection.alias


def _write_with_the_orm(rows: FiledRows) -> None:
    request = rows.service_request
    try:
        with transaction.atomic():  # a savepoint: a replay's IntegrityError leaves the caller's transaction usable
            if rows.requester is not None:
                rows.requester.save(force_insert=True)
                request.requester = rows.requester
            request.save(force_insert=True)
    except IntegrityError:
        if request.idempotency_key and _key_taken(request):
            raise AlreadyFiled from None
        raise
    rows.opened.service_request = request
    rows.opened.save(force_insert=True)
    Announcement.objects.create(history_entry=rows.opened, created_at=rows.opened.created_at)
    if rows.contact is not None:
        rows.contact.service_request = request
        rows.contact.requester = rows.requester
        rows.contact.save(force_insert=True)
    for row in rows.extra:
        row.service_request = request  # type: ignore[attr-defined]
        row.save(force_insert=True)


def _key_taken(request: ServiceRequest) -> bool:
    return ServiceRequest.objects.filter(
        jurisdiction_id=request.jurisdiction_id, idempotency_key=request.idempotency_key
    ).exists()


# --- PostgreSQL: one statement -------------------------------------------------------------------------------

# The columns each statement fills from Python, per model: every concrete column but the key and the links the
# statement itself makes (the request's requester, the entry's request, and so on).
_LINKED = {
    ServiceRequest: ("id", "requester_id"),
    Requester: ("id",),
    HistoryEntry: ("id", "service_request_id"),
    Announcement: ("history_entry_id",),
    Contact: ("id", "service_request_id", "requester_id"),
}
_EXTRA_LINKED = ("id", "service_request_id")  # a caller's extra row: its own key, and the request it points at


@functools.cache
def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    linked = _LINKED.get(model, _EXTRA_LINKED)
    return [field for field in model._meta.concrete_fields if field.attname not in linked]


def _values(instance: models.Model, connection: BaseDatabaseWrapper) -> list[Any]:
    return [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in _fields(type(instance))]


class _Marks:
    """The statement's parameter marks, in order: `%s` for Django's cursor, or `$1`, `$2`… for psycopg's raw
    cursor, whose statement psycopg sends as it is. (psycopg rewrites `%s` into `$n` on every call for a
    statement of more than 50 parameters, as this one is: 8 % of a POST's web CPU at city scale.)"""

    def __init__(self, numbered: bool) -> None:
        self.numbered = numbered
        self.count = 0

    def __call__(self, cast: str | None) -> str:
        # Each value cast to its column's type: a parameter in an INSERT … SELECT list has no type of its own.
        if not self.numbered:
            return f"%s::{cast}"
        self.count += 1
        return f"${self.count}::{cast}"


def _columns_and_marks(model: type[models.Model], connection: BaseDatabaseWrapper, mark: _Marks) -> tuple[str, str]:
    quote = connection.ops.quote_name
    fields = _fields(model)
    columns = ", ".join(quote(field.column) for field in fields if field.column)  # concrete: every one has it
    marks = ", ".join(mark(field.cast_db_type(connection)) for field in fields)
    return columns, marks


def _numbered(connection: BaseDatabaseWrapper) -> PostgreSQL | None:
    """The connection when it binds parameters on the server (settings.py: on unless behind a PgBouncer without
    prepared-statement support): its raw cursor then takes the statement with `$n` marks, as it is."""
    if isinstance(connection, PostgreSQL) and connection.settings_dict["OPTIONS"].get("server_side_binding") is True:
        return connection
    return None


@functools.cache
def _statement(
    alias: str, numbered: bool, with_requester: bool, with_contact: bool, extra: tuple[type[models.Model], ...] = ()
) -> str:
    """The chain of INSERTs for the database `alias` (built once per process and shape)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    mark = _Marks(numbered)

    def table(model: type[models.Model]) -> str:
        return quote(model._meta.db_table)

    request_columns, request_marks = _columns_and_marks(ServiceRequest, connection, mark)
    entry_columns, entry_marks = _columns_and_marks(HistoryEntry, connection, mark)
    notice_columns, notice_marks = _columns_and_marks(Announcement, connection, mark)
    requester_key = (
        f"nextval(pg_get_serial_sequence('{Requester._meta.db_table}', 'id'))" if with_requester else "NULL::integer"
    )
    # The requester's id is drawn first, so the request can point at a requester row written only when the
    # request is (foreign keys are checked at commit): a replay leaves no requester behind. Only names of our
    # own tables and columns are formatted into the statement; every value is a parameter.
    insert = "{name} AS (INSERT INTO {table} ({columns}) {rows})"
    parts = [
        insert.format(
            name="sr",
            table=table(ServiceRequest),
            columns=f"requester_id, {request_columns}",
            rows=f"VALUES ({requester_key}, {request_marks}) "
            "ON CONFLICT (jurisdiction_id, idempotency_key) DO NOTHING RETURNING id, requester_id",
        ),
        insert.format(
            name="h",
            table=table(HistoryEntry),
            columns=f"service_request_id, {entry_columns}",
            rows=f"SELECT sr.id, {entry_marks} FROM sr RETURNING id",
        ),
        insert.format(
            name="a",
            table=table(Announcement),
            columns=f"history_entry_id, {notice_columns}",
            rows=f"SELECT h.id, {notice_marks} FROM h",
        ),
    ]
    if with_requester:
        requester_columns, requester_marks = _columns_and_marks(Requester, connection, mark)
        parts.append(
            insert.format(
                name="r",
                table=table(Requester),
                columns=f"id, {requester_columns}",
                rows=f"SELECT sr.requester_id, {requester_marks} FROM sr",
            )
        )
    contact_id = "NULL::integer"
    if with_contact:
        contact_columns, contact_marks = _columns_and_marks(Contact, connection, mark)
        parts.append(
            insert.format(
                name="c",
                table=table(Contact),
                columns=f"service_request_id, requester_id, {contact_columns}",
                rows=f"SELECT sr.id, sr.requester_id, {contact_marks} FROM sr RETURNING id",
            )
        )
        contact_id = "(SELECT id FROM c)"
    for number, model in enumerate(extra):
        columns, marks = _columns_and_marks(model, connection, mark)
        parts.append(
            insert.format(
                name=f"x{number}",
                table=table(model),
                columns=f"service_request_id, {columns}",
                rows=f"SELECT sr.id, {marks} FROM sr",
            )
        )
    chain = ", ".join(parts)
    return f"WITH {chain} SELECT sr.id, sr.requester_id, h.id, {contact_id} FROM sr, h"


def _write_in_one_statement(rows: FiledRows, connection: BaseDatabaseWrapper) -> None:
    notice = Announcement(history_entry=rows.opened, created_at=rows.opened.created_at)
    # The order of the parameters is the order of the CTEs above.
    params = [*_values(rows.service_request, connection), *_values(rows.opened, connection)]
    params += _values(notice, connection)
    if rows.requester is not None:
        params += _values(rows.requester, connection)
    if rows.contact is not None:
        params += _values(rows.contact, connection)
    for row in rows.extra:
        params += _values(row, connection)
    extra = tuple(type(row) for row in rows.extra)
    numbered = _numbered(connection)
    sql = _statement(
        connection.alias, numbered is not None, rows.requester is not None, rows.contact is not None, extra
    )
    with numbered.raw_cursor() if numbered is not None else connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = cursor.fetchone()
    if written is None:
        raise AlreadyFiled
    request_id, requester_id, entry_id, contact_id = written
    rows.service_request.pk = request_id
    if rows.requester is not None:
        rows.requester.pk = requester_id
        rows.service_request.requester = rows.requester
    rows.opened.pk = entry_id
    rows.opened.service_request = rows.service_request
    if rows.contact is not None:
        rows.contact.pk = contact_id
        rows.contact.service_request = rows.service_request
        rows.contact.requester = rows.requester
    for row in rows.extra:
        row.service_request = rows.service_request  # type: ignore[attr-defined]  # its id is not read back
