"""The second ceiling of the POST benchmark: the rows one Open311 POST writes, inserted by psycopg directly
(no HTTP, no Django), one durable transaction per "POST", from N connections at once.

The rows are copies of those a real POST wrote (its requester, the request, its "opened" history entry, that
entry's announcement for the outbox, the contact and the API key's audit row), with a fresh tracking number
and idempotency key each time. It answers: how many POSTs a second could this machine's PostgreSQL commit if
the web side cost nothing?
"""

from __future__ import annotations

import secrets
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

# (table, the column pointing to the row before it, the parent it points to)
TABLES = (
    ("people_requester", None, None),
    ("requests_servicerequest", "requester_id", "people_requester"),
    ("requests_historyentry", "service_request_id", "requests_servicerequest"),
    ("requests_announcement", "history_entry_id", "requests_historyentry"),
    ("requests_contact", "service_request_id", "requests_servicerequest"),
    ("open311_apikeyactivity", "service_request_id", "requests_servicerequest"),
)


@dataclass
class CeilingResult:
    transactions: int
    seconds: float
    p50: float
    p95: float
    p99: float
    errors: int


def _template(connection: psycopg.Connection, service_request_id: int) -> dict[str, dict[str, Any]]:
    """The rows of the POST that filed `service_request_id`, by table (without their ids)."""
    rows: dict[str, dict[str, Any]] = {}
    with connection.cursor(row_factory=psycopg.rows.dict_row) as cursor:

        def one(sql: str, *params: object) -> dict[str, Any]:
            cursor.execute(sql, params)
            found = cursor.fetchone()
            if found is None:
                raise SystemExit(f"post_rows_ceiling: nothing for {sql} {params}")
            return dict(found)

        request = one("SELECT * FROM requests_servicerequest WHERE id = %s", service_request_id)
        rows["requests_servicerequest"] = request
        rows["people_requester"] = one("SELECT * FROM people_requester WHERE id = %s", request["requester_id"])
        entry = one(
            "SELECT * FROM requests_historyentry WHERE service_request_id = %s ORDER BY id LIMIT 1", service_request_id
        )
        rows["requests_historyentry"] = entry
        rows["requests_announcement"] = one(
            "SELECT * FROM requests_announcement WHERE history_entry_id = %s", entry["id"]
        )
        rows["requests_contact"] = one(
            "SELECT * FROM requests_contact WHERE service_request_id = %s LIMIT 1", service_request_id
        )
        rows["open311_apikeyactivity"] = one(
            "SELECT * FROM open311_apikeyactivity WHERE service_request_id = %s LIMIT 1", service_request_id
        )
    for row in rows.values():
        row.pop("id", None)
    return rows


PARENTS = {parent for _table, _link, parent in TABLES if parent}


def _insert_sql(table: str, columns: list[str]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    returning = " RETURNING id" if table in PARENTS else ""  # the announcement's key is its history entry's
    return f'INSERT INTO "{table}" ({names}) VALUES ({marks}){returning}'  # noqa: S608 - our own table names


def _value(value: object) -> object:
    return Jsonb(value) if isinstance(value, dict | list) else value


def measure(database_url: str, service_request_id: int, *, duration: float, connections: int) -> CeilingResult:
    setup = psycopg.connect(database_url, autocommit=True)
    try:
        template = _template(setup, service_request_id)
    finally:
        setup.close()
    statements = {table: (_insert_sql(table, list(row)), list(row)) for table, row in template.items()}
    run = secrets.randbelow(10_000)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client(number: int) -> None:
        connection = psycopg.connect(database_url, prepare_threshold=0)
        mine: list[float] = []
        count = 0
        try:
            while time.monotonic() < stop_at:
                count += 1
                unique = f"{run:04d}{number:03d}{count:07d}"
                started = time.perf_counter()
                try:
                    with connection.transaction(), connection.cursor() as cursor:
                        made: dict[str, int] = {}
                        for table, link, parent in TABLES:
                            sql, columns = statements[table]
                            row = dict(template[table])
                            if link is not None and parent is not None:
                                row[link] = made[parent]
                            if table == "requests_servicerequest":
                                row["tracking_number"] = "9" + unique
                                row["idempotency_key"] = f"ceiling:{unique}"
                            cursor.execute(sql, [_value(row[c]) for c in columns])
                            if table in PARENTS:
                                made[table] = cursor.fetchone()[0]  # type: ignore[index]
                except psycopg.Error:
                    with lock:
                        errors[0] += 1
                    continue
                mine.append((time.perf_counter() - started) * 1000)
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - began
    if not latencies:
        return CeilingResult(0, seconds, float("nan"), float("nan"), float("nan"), errors[0])
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return CeilingResult(len(latencies), seconds, cuts[49], cuts[94], cuts[98], errors[0])
