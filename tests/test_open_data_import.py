"""The bulk importer (`civic311.opendata.services.import_requests` and `manage.py import_requests`):
Philadelphia's public_cases_fc and another city's export through a mapping file, upserts and re-runs,
every rejected row with its line and reason, batches that commit whole or not at all, the tracking-number
sequence, the command's output and exit codes, dry runs. Runs on SQLite (executemany) and PostgreSQL (COPY)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError

from civic311.catalogue.models import Service
from civic311.jurisdictions import tracking_numbers
from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.selectors import h3_cell, neighborhood_id_at
from civic311.opendata import importer
from civic311.opendata.columns import PUBLIC_CASES_COLUMNS
from civic311.opendata.importer import SourceError
from civic311.opendata.mapping import MAPPINGS_DIR, MappingError, load_mapping, mapping_from_data
from civic311.opendata.services import Progress, import_requests
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Channel, HistoryEntry, ServiceRequest

from .factories import (
    DepartmentFactory,
    JurisdictionFactory,
    NeighborhoodFactory,
    ServiceFactory,
    box,
    filed_request,
)

UTC = dt.UTC
DATA = Path(__file__).resolve().parent / "data"
NYC_MAPPING = MAPPINGS_DIR / "nyc311.toml"

DEFAULTS = {
    "objectid": "1",
    "service_request_id": "9000001",
    "subject": "Illegal Dumping",
    "status": "Open",
    "status_notes": "",
    "service_name": "Illegal Dumping",
    "service_code": "SR-ST02",
    "agency_responsible": "Streets Department",
    "service_notice": "5 Business Days",
    "requested_datetime": "2016-08-01T12:00:00-04:00",
    "updated_datetime": "",
    "expected_datetime": "",
    "closed_datetime": "",
    "address": "1400 JOHN F KENNEDY BLVD",
    "zipcode": "19102",
    "media_url": "",
    "lat": "39.9526",
    "lon": "-75.1635",
}


def philly_csv(*rows: dict, header: tuple[str, ...] = PUBLIC_CASES_COLUMNS, newline: str = "\n") -> bytes:
    """A public_cases_fc file: each row is DEFAULTS with its own values (ids numbered when not given)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    for number, row in enumerate(rows):
        values = {**DEFAULTS, "objectid": str(number + 1), "service_request_id": str(9000001 + number), **row}
        writer.writerow([values.get(column, "") for column in header])
    return out.getvalue().encode()


def run(jurisdiction, data: bytes, mapping=None, **options):
    """Import `data`; returns (result, the rejects CSV's rows)."""
    rejects = io.StringIO(newline="")
    result = import_requests(jurisdiction, io.BytesIO(data), mapping, rejects=rejects, **options)
    return result, list(csv.reader(io.StringIO(rejects.getvalue())))


@pytest.fixture
def streets(jurisdiction, department, service, center_city):
    """Illegal Dumping (SR-ST02) and Street Defect (SR-ST01) of the Streets Department; Center City."""
    ServiceFactory(jurisdiction=jurisdiction, department=department, code="SR-ST01", name="Street Defect")
    return service


# --- Philadelphia's format ---------------------------------------------------------------------------------


def test_every_field_of_a_philadelphia_row_lands_where_it_should(jurisdiction, streets, center_city):
    data = philly_csv(
        {
            "service_request_id": "9123456",
            "status": "Closed",
            "status_notes": "Issue Resolved",
            "requested_datetime": "2016-08-01T12:00:00-04:00",
            "updated_datetime": "2016-08-03T09:30:00-04:00",
            "expected_datetime": "2016-08-08T17:00:00-04:00",
            "closed_datetime": "2016-08-03T09:30:00-04:00",
            "address": "1400 JOHN F KENNEDY BLVD",
            "zipcode": "19102",
            "media_url": "https://example.org/photos/1.jpg",
            "lat": "39.9526",
            "lon": "-75.1635",
        },
        # A naive timestamp is in the mapping's zone (Philadelphia): 2016-12-01 08:00 EST = 13:00 UTC.
        {
            "service_request_id": "9123457",
            "service_code": "SR-ST01",
            "service_name": "Street Defect",
            "requested_datetime": "2016-12-01 08:00:00",
            "lat": "",
            "lon": "",
        },
    )
    result, rejects = run(jurisdiction, data)

    assert (result.read, result.accepted, result.inserted, result.updated, result.rejected) == (2, 2, 2, 0, 0)
    assert rejects == [["line", "reason", "detail", *PUBLIC_CASES_COLUMNS]]
    closed = ServiceRequest.objects.get(tracking_number="9123456")
    assert closed.jurisdiction == jurisdiction
    assert closed.service == streets and closed.department == streets.department
    assert closed.status == Status.CLOSED and closed.status_notes == "Issue Resolved"
    assert closed.channel == Channel.IMPORT
    assert closed.requested_at == dt.datetime(2016, 8, 1, 16, 0, tzinfo=UTC)
    assert closed.updated_at == dt.datetime(2016, 8, 3, 13, 30, tzinfo=UTC)
    assert closed.expected_at == dt.datetime(2016, 8, 8, 21, 0, tzinfo=UTC)
    assert closed.closed_at == dt.datetime(2016, 8, 3, 13, 30, tzinfo=UTC)
    assert (closed.address, closed.zipcode) == ("1400 JOHN F KENNEDY BLVD", "19102")
    assert closed.media_url == "https://example.org/photos/1.jpg"
    assert (closed.lat, closed.long) == (39.9526, -75.1635)
    assert closed.h3_cell == h3_cell(39.9526, -75.1635)
    assert closed.neighborhood == center_city
    assert closed.is_private is False and closed.description == "" and closed.attributes == {}
    assert closed.requester is None and closed.assignee is None and closed.idempotency_key is None

    naive = ServiceRequest.objects.get(tracking_number="9123457")
    assert naive.service.code == "SR-ST01" and naive.status == Status.NEW
    assert naive.requested_at == dt.datetime(2016, 12, 1, 13, 0, tzinfo=UTC)
    assert naive.updated_at == naive.requested_at  # no updated time: the latest of those given
    assert naive.lat is None and naive.long is None and naive.neighborhood is None and naive.h3_cell == ""
    assert naive.closed_at is None and naive.expected_at is None

    opened = HistoryEntry.objects.get(service_request=closed)
    assert opened.kind == HistoryEntry.Kind.OPENED and opened.is_public
    assert opened.actor is None and opened.actor_label == "Philly311"
    assert opened.to_status == Status.NEW and opened.created_at == closed.requested_at


def test_timestamps_in_utc_and_other_offsets_are_converted(jurisdiction, streets):
    data = philly_csv(
        {
            "requested_datetime": "2016-08-01 16:00:00+00",
            "updated_datetime": "2016-08-01T18:00:00Z",
            "closed_datetime": "2016-08-01T13:00:00-05:00",
            "status": "Closed",
        }
    )
    run(jurisdiction, data)
    row = ServiceRequest.objects.get()
    assert row.requested_at == dt.datetime(2016, 8, 1, 16, 0, tzinfo=UTC)
    assert row.closed_at == dt.datetime(2016, 8, 1, 18, 0, tzinfo=UTC)
    assert row.updated_at == dt.datetime(2016, 8, 1, 18, 0, tzinfo=UTC)


def test_the_updated_time_is_never_before_the_close_and_a_close_time_follows_the_status(jurisdiction, streets):
    data = philly_csv(
        # Updated before it closed: the close is the latest thing that happened.
        {
            "status": "Closed",
            "updated_datetime": "2016-08-02T10:00:00-04:00",
            "closed_datetime": "2016-08-05T10:00:00-04:00",
        },
        # Closed with no close time: closed when last updated.
        {"status": "Closed", "updated_datetime": "2016-08-04T10:00:00-04:00"},
        # Open (reopened in the source) with an old close time: an open request has none.
        {"status": "Open", "closed_datetime": "2016-08-02T10:00:00-04:00"},
    )
    run(jurisdiction, data)
    first, second, third = ServiceRequest.objects.order_by("tracking_number")
    assert first.updated_at == first.closed_at == dt.datetime(2016, 8, 5, 14, 0, tzinfo=UTC)
    assert second.closed_at == second.updated_at == dt.datetime(2016, 8, 4, 14, 0, tzinfo=UTC)
    assert third.status == Status.NEW and third.closed_at is None
    assert third.updated_at == dt.datetime(2016, 8, 2, 14, 0, tzinfo=UTC)


def test_our_own_export_with_descriptions_round_trips_the_description(jurisdiction, streets):
    data = philly_csv({"description": "Mattresses on the sidewalk."}, header=(*PUBLIC_CASES_COLUMNS, "description"))
    result, _rejects = run(jurisdiction, data)
    assert result.notes == []
    assert ServiceRequest.objects.get().description == "Mattresses on the sidewalk."


def test_a_missing_optional_column_is_left_out_and_said(jurisdiction, streets):
    header = tuple(column for column in PUBLIC_CASES_COLUMNS if column not in ("media_url", "zipcode"))
    result, _rejects = run(jurisdiction, philly_csv({}, header=header))
    assert result.accepted == 1
    assert any("media_url" in note for note in result.notes) and any("zipcode" in note for note in result.notes)
    assert ServiceRequest.objects.get().zipcode == ""


def test_a_service_is_found_by_name_when_its_code_is_blank(jurisdiction, streets):
    result, _rejects = run(jurisdiction, philly_csv({"service_code": "", "service_name": " illegal DUMPING "}))
    assert result.accepted == 1 and ServiceRequest.objects.get().service == streets


def test_byte_order_mark_crlf_and_blank_lines_are_handled(jurisdiction, streets):
    data = b"\xef\xbb\xbf" + philly_csv({}, {}, newline="\r\n").replace(b"\r\n", b"\r\n\r\n", 1)
    result, _rejects = run(jurisdiction, data)
    assert (result.read, result.accepted, result.rejected) == (2, 2, 0)


def test_neighborhoods_found_in_bulk_agree_with_the_one_point_lookup(jurisdiction, streets, center_city):
    # Two neighborhoods share an edge at -75.14; the older one (Center City) gets the points on it.
    east = NeighborhoodFactory(jurisdiction=jurisdiction, slug="east", boundary=box(-75.14, 39.94, -75.10, 39.96))
    points = [(39.95, -75.16), (39.95, -75.14), (39.95, -75.12), (39.96, -75.10), (40.05, -75.05), (39.94, -75.18)]
    data = philly_csv(*({"lat": str(lat), "lon": str(long)} for lat, long in points))
    run(jurisdiction, data)
    found = [row.neighborhood_id for row in ServiceRequest.objects.order_by("tracking_number")]
    assert found == [neighborhood_id_at(jurisdiction, lat, long) for lat, long in points]
    assert found == [center_city.pk, center_city.pk, east.pk, east.pk, None, center_city.pk]


# --- re-runs: upsert by id ---------------------------------------------------------------------------------


def test_running_the_same_file_again_changes_nothing_and_says_so(jurisdiction, streets):
    data = philly_csv({"status": "Closed", "closed_datetime": "2016-08-02T10:00:00-04:00"}, {}, {})
    first, _rejects = run(jurisdiction, data)
    stored = {row.pk: row.updated_at for row in ServiceRequest.objects.all()}
    second, _rejects = run(jurisdiction, data)

    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3)
    assert ServiceRequest.objects.count() == 3 and HistoryEntry.objects.count() == 3
    assert {row.pk: row.updated_at for row in ServiceRequest.objects.all()} == stored


def test_a_rerun_with_changed_rows_updates_them_without_new_history(jurisdiction, streets, department):
    run(jurisdiction, philly_csv({}, {}, {}))
    # Staff transferred the first request; the source still says the same service.
    police = DepartmentFactory(jurisdiction=jurisdiction, slug="police")
    ServiceRequest.objects.filter(tracking_number="9000001").update(department=police)
    changed = philly_csv(
        {"status": "Closed", "status_notes": "Issue Resolved", "closed_datetime": "2016-08-09T10:00:00-04:00"},
        {"service_code": "SR-ST01", "service_name": "Street Defect", "address": "1 SOUTH PENN SQ"},
        {},
        {},  # a new one
    )
    result, _rejects = run(jurisdiction, changed)

    assert (result.inserted, result.updated, result.unchanged) == (1, 2, 1)
    assert ServiceRequest.objects.count() == 4 and HistoryEntry.objects.count() == 4
    first = ServiceRequest.objects.get(tracking_number="9000001")
    assert first.status == Status.CLOSED and first.status_notes == "Issue Resolved"
    assert first.closed_at == dt.datetime(2016, 8, 9, 14, 0, tzinfo=UTC)
    assert first.department == police  # the same service: the transfer stays
    second = ServiceRequest.objects.get(tracking_number="9000002")
    assert second.service.code == "SR-ST01" and second.address == "1 SOUTH PENN SQ"
    assert second.department == department  # a new service: its department


def test_an_import_does_not_touch_another_citys_request_with_the_same_number(jurisdiction, streets):
    county = JurisdictionFactory(slug="county", jurisdiction_id="county.example", is_default=False)
    other = filed_request(ServiceFactory(jurisdiction=county, code="SR-ST02"))
    ServiceRequest.objects.filter(pk=other.pk).update(tracking_number="9000001")
    result, _rejects = run(jurisdiction, philly_csv({}))
    assert result.inserted == 1
    assert ServiceRequest.objects.get(pk=other.pk).jurisdiction == county


# --- rejected rows -----------------------------------------------------------------------------------------


def test_every_rejected_row_is_reported_with_its_line_and_reason(jurisdiction, streets):
    Service.objects.create(
        jurisdiction=jurisdiction,
        code="SR-IR01",
        name="Information Request",
        kind=Service.Kind.INFORMATION,
        group=streets.group,
        department=streets.department,
    )
    Jurisdiction.objects.filter(pk=jurisdiction.pk).update(
        boundary=box(-75.28, 39.87, -75.00, 40.14)
    )  # the bounds, less a strip in the east
    jurisdiction.refresh_from_db()
    rows = [
        ({}, None),  # line 2: fine
        ({"service_request_id": ""}, "missing_id"),  # 3
        ({"service_request_id": "12/34"}, "bad_id"),  # 4
        ({"service_request_id": "9000001"}, "duplicate_id"),  # 5
        ({"service_code": "SR-XX99", "service_name": "Nothing"}, "unknown_service"),  # 6
        ({"service_code": "SR-IR01"}, "not_a_request_service"),  # 7
        ({"status": "Maybe"}, "unknown_status"),  # 8
        ({"requested_datetime": ""}, "missing_date"),  # 9
        ({"expected_datetime": "2016-02-30T10:00:00"}, "bad_date"),  # 10
        ({"status": "Closed", "closed_datetime": "2016-07-01T10:00:00-04:00"}, "closed_before_requested"),  # 11
        ({"lat": "north", "lon": "-75.16"}, "bad_coordinates"),  # 12
        ({"lat": "39.95", "lon": ""}, "bad_coordinates"),  # 13
        ({"lat": "nan", "lon": "-75.16"}, "bad_coordinates"),  # 14
        ({"lat": "40.7128", "lon": "-74.0060"}, "outside_city"),  # 15: New York, outside the bounds
        ({"lat": "40.0", "lon": "-74.98"}, "outside_city"),  # 16: in the bounds, not the boundary
        ({"zipcode": "19102-12345"}, "too_long"),  # 17
        ({"address": "x" * 301}, "too_long"),  # 18
        ({"media_url": "javascript:alert(1)"}, "bad_media_url"),  # 19
        ({"status_notes": "nul \x00 here"}, "nul_character"),  # 20
        ({"address": "line one\nline two"}, None),  # 21-22: one row on two lines
        ({"service_code": "SR-XX98", "service_name": ""}, "unknown_service"),  # 23
    ]
    data = philly_csv(*(values for values, _reason in rows))
    data += b"9000999,short row\n"  # 24: columns
    data += (
        philly_csv({"service_request_id": "9000998", "address": "CAFÉ"})
        .split(b"\n", 1)[1]
        .replace(b"CAF\xc3\x89", b"CAF\xe9")
    )  # 25: not UTF-8
    data += philly_csv({"service_request_id": "9000997", "status_notes": "y" * 2_000}).split(b"\n", 1)[1]  # 26
    data += philly_csv({"service_request_id": "9000996"}).split(b"\n", 1)[1]  # 27: fine, after the unreadable one
    limit = csv.field_size_limit(1_000)  # a field over the csv module's limit (a quote left open, often)
    try:
        result, rejects = run(jurisdiction, data)
    finally:
        csv.field_size_limit(limit)

    expected = [(2 + i, reason) for i, (_values, reason) in enumerate(rows[:19]) if reason]
    expected += [(23, "unknown_service"), (24, "columns"), (25, "encoding"), (26, "unreadable")]
    assert [(int(row[0]), row[1]) for row in rejects[1:]] == expected
    assert (result.read, result.accepted, result.rejected) == (25, 3, 22)
    assert sum(result.reasons.values()) == 22 and result.reasons["bad_coordinates"] == 3
    assert result.first_line_by_reason["unknown_service"] == 6
    assert {reason for _line, reason in expected} == set(importer.REASONS)  # every kind of reason was tried
    # Each rejected row goes out as it was read, after its line, reason and detail.
    by_line = {int(row[0]): row for row in rejects[1:]}
    assert by_line[5][2] == "first on line 2"
    assert by_line[6][2] == "“SR-XX99 / Nothing”"
    assert by_line[10][2] == "expected_datetime: “2016-02-30T10:00:00”"
    assert by_line[8][3:] == list(csv.reader(io.StringIO(data.decode("latin-1"))))[7]
    assert ServiceRequest.objects.filter(address="line one\nline two").exists()
    assert by_line[26][2] == "field larger than field limit (1000)"
    assert set(ServiceRequest.objects.values_list("tracking_number", flat=True)) == {"9000001", "9000020", "9000996"}


def test_a_batch_that_fails_in_the_database_rolls_back_whole_and_the_earlier_ones_stay(jurisdiction, streets):
    data = philly_csv(*({} for _ in range(6)))
    real_write = importer.BatchWriter.write

    def second_batch_breaks(self, rows):
        if rows[0][0] == "9000003":
            # Passes every check, but the database refuses it (requested_at is NOT NULL); the row before
            # it in the batch is written first on SQLite.
            rows[1][importer.REQUESTED_AT] = None
        return real_write(self, rows)

    with mock.patch.object(importer.BatchWriter, "write", second_batch_breaks):
        result, _rejects = run(jurisdiction, data, batch_size=2)

    assert result.failure is not None
    assert (result.failure.number, result.failure.first_line, result.failure.last_line) == (2, 4, 5)
    assert [batch.number for batch in result.batches] == [1]
    assert set(ServiceRequest.objects.values_list("tracking_number", flat=True)) == {"9000001", "9000002"}
    assert HistoryEntry.objects.count() == 2

    assert not [thread for thread in threading.enumerate() if thread.name == "civic311-import-reader"]

    again, _rejects = run(jurisdiction, data, batch_size=2)  # the cause fixed: a re-run resumes
    assert (again.inserted, again.unchanged, again.failure) == (4, 2, None)
    assert ServiceRequest.objects.count() == 6 and HistoryEntry.objects.count() == 6


def test_a_failing_write_after_the_upsert_rolls_the_upsert_back(jurisdiction, streets):
    real_write = importer.BatchWriter.write
    calls = []

    def written_then_broken(self, rows):
        counts = real_write(self, rows)
        calls.append(counts)
        if len(calls) == 2:
            raise DatabaseError("disk full")
        return counts

    with mock.patch.object(importer.BatchWriter, "write", written_then_broken):
        result, _rejects = run(jurisdiction, philly_csv(*({} for _ in range(5))), batch_size=2)
    assert calls == [(2, 0), (2, 0)]
    assert result.failure.error == "disk full" and result.failure.number == 2
    assert ServiceRequest.objects.count() == 2 and HistoryEntry.objects.count() == 2


def test_an_error_while_reading_stops_the_import_and_is_raised(jurisdiction, streets):
    real_checker = importer.RowChecker._checker

    def breaks_on_the_third_row(self, *args):
        check = real_checker(self, *args)

        def checked(row, line):
            if line == 4:
                raise RuntimeError("a bug in a check")
            return check(row, line)

        return checked

    with (
        mock.patch.object(importer.RowChecker, "_checker", breaks_on_the_third_row),
        pytest.raises(RuntimeError, match="a bug in a check"),
    ):
        run(jurisdiction, philly_csv(*({} for _ in range(5))), batch_size=2)
    assert ServiceRequest.objects.count() == 2  # the first batch was written before the bug was met
    assert not [thread for thread in threading.enumerate() if thread.name == "civic311-import-reader"]


def test_progress_is_told_while_reading_and_after_each_batch(jurisdiction, streets):
    seen: list[Progress] = []
    with mock.patch.object(
        importer.SourceReader, "batches", lambda self, tick, tick_every=2: real_batches(self, tick, tick_every=2)
    ):
        import_requests(
            jurisdiction,
            io.BytesIO(philly_csv({}, {"status": "Maybe"}, {}, {}, {})),
            batch_size=3,
            progress=seen.append,
        )
    reading = [(p.read, p.accepted, p.rejected) for p in seen if p.batch is None]
    batches = [(p.read, p.accepted, p.rejected, p.batch.number) for p in seen if p.batch is not None]
    assert reading == [(2, 1, 1), (5, 4, 1)]
    assert batches == [(3, 2, 1, 1), (5, 4, 1, 2)]


real_batches = importer.SourceReader.batches


# --- another city's export through a mapping file ----------------------------------------------------------


@pytest.fixture
def new_york(db):
    city = JurisdictionFactory(
        slug="nyc",
        name="New York",
        jurisdiction_id="nyc.gov",
        is_default=False,
        min_lat=40.49,
        max_lat=40.92,
        min_long=-74.26,
        max_long=-73.70,
    )
    sanitation = DepartmentFactory(jurisdiction=city, slug="sanitation")
    transportation = DepartmentFactory(jurisdiction=city, slug="transportation")
    for code, name, department in (
        ("SR-ST02", "Illegal Dumping", sanitation),
        ("SR-ST01", "Street Defect", transportation),
        ("SR-ST04", "Street Light Outage", transportation),
        ("SR-PR08", "Street Trees", sanitation),
        ("SR-CL01", "Graffiti Removal", sanitation),
    ):
        ServiceFactory(jurisdiction=city, code=code, name=name, department=department)
    return city


def test_a_new_york_export_loads_through_its_mapping_file(new_york):
    result, rejects = run(new_york, (DATA / "nyc311_sample.csv").read_bytes(), load_mapping(NYC_MAPPING))

    assert (result.read, result.accepted, result.rejected) == (8, 5, 3)
    assert [(row[0], row[1]) for row in rejects[1:]] == [
        ("6", "unknown_service"),
        ("9", "unknown_status"),
        ("10", "bad_date"),
    ]
    assert any("Resolution Action Updated Date" in note for note in result.notes)
    rows = {row.tracking_number: row for row in ServiceRequest.objects.filter(jurisdiction=new_york)}
    dumping = rows["59893475"]
    assert dumping.service.code == "SR-ST02" and dumping.department.slug == "sanitation"
    assert dumping.status == Status.CLOSED and dumping.channel == Channel.PHONE
    assert dumping.requested_at == dt.datetime(2024, 1, 15, 13, 30, tzinfo=UTC)  # 08:30 EST
    assert dumping.closed_at == dumping.updated_at == dt.datetime(2024, 1, 16, 19, 5, tzinfo=UTC)
    assert (dumping.address, dumping.zipcode, dumping.lat) == ("350 5 AVENUE", "10001", 40.748441)
    pothole = rows["59893476"]
    assert pothole.requested_at == dt.datetime(2024, 1, 16, 4, 45, 10, tzinfo=UTC)  # 11:45:10 PM EST
    assert pothole.channel == Channel.WEB and pothole.status == Status.NEW
    light = rows["59893477"]
    assert light.requested_at == dt.datetime(2024, 7, 4, 16, 0, tzinfo=UTC)  # EDT in summer
    assert light.status == Status.IN_PROGRESS and light.lat is None and light.channel == Channel.MOBILE
    assert rows["59893478"].address == '12 "A" STREET' and rows["59893478"].channel == Channel.IMPORT
    graffiti = rows["59893480"]  # "GRAFFITI" through the value map, whatever its case; an ISO date
    assert graffiti.service.code == "SR-CL01" and graffiti.status == Status.ON_HOLD
    assert graffiti.address == "200 GRAND STREET\nAPT 3"
    assert graffiti.requested_at == dt.datetime(2024, 2, 2, 15, 0, tzinfo=UTC)
    assert HistoryEntry.objects.filter(actor_label="NYC311").count() == 5


def test_a_json_mapping_works_like_toml(jurisdiction, streets, tmp_path):
    path = tmp_path / "city.json"
    path.write_text(
        json.dumps(
            {
                "source": "Somewhere 311",
                "delimiter": ";",
                "date_formats": ["%d.%m.%Y %H:%M"],
                "time_zone": "Europe/Berlin",
                "columns": {
                    "tracking_number": "id",
                    "service_name": "type",
                    "status": "state",
                    "requested_at": "opened",
                },
                "status_values": {"offen": "new", "erledigt": "closed"},
                "service_values": {"Müll": "SR-ST02"},
            }
        )
    )
    data = "id;type;state;opened\nA-1;Müll;erledigt;01.08.2016 12:00\n".encode()
    result, _rejects = run(jurisdiction, data, load_mapping(path))
    row = ServiceRequest.objects.get()
    assert result.accepted == 1 and row.tracking_number == "A-1" and row.service == streets
    assert row.requested_at == dt.datetime(2016, 8, 1, 10, 0, tzinfo=UTC)  # CEST
    assert row.status == Status.CLOSED and row.closed_at == row.requested_at


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"columns": {"tracking_number": "id"}}, "must give status, requested_at"),
        ({"columns": {"tracking_number": "id", "status": "s", "requested_at": "r"}}, "service_code or service_name"),
        (
            {
                "columns": {
                    "tracking_number": "id",
                    "status": "s",
                    "requested_at": "r",
                    "service_code": "c",
                    "colour": "x",
                }
            },
            "“colour” is not one of our fields",
        ),
        ({"colums": {}}, "“colums” is not a mapping key"),
        ({"status_values": {"Open": "opened"}}, "“opened” is not one of"),
        ({"channel_values": {"PHONE": "telephone"}}, "“telephone” is not one of"),
        ({"default_channel": "fax"}, "default_channel"),
        ({"time_zone": "Mars/Olympus"}, "not a known time zone"),
        # ZoneInfo refuses these with ValueError, not ZoneInfoNotFoundError: still a reason, never a crash.
        ({"time_zone": "../etc/passwd"}, "not a known time zone"),
        ({"time_zone": "/etc/localtime"}, "not a known time zone"),
        ({"time_zone": "America/"}, "not a known time zone"),
        ({"time_zone": "America"}, "not a known time zone"),  # a folder of zones, not one
        ({"time_zone": "Europe/Berlin\x00"}, "not a known time zone"),
        ({"encoding": "klingon"}, "not a known text encoding"),
        ({"delimiter": ",,"}, "delimiter"),
        ({"date_formats": ["dd/mm/yyyy"]}, "neither “iso” nor a strptime pattern"),
        ({"status_values": {"Open": "new", " open": "closed"}}, "given twice"),
    ],
)
def test_a_bad_mapping_is_refused_with_a_clear_reason(data, message):
    base = {"columns": {"tracking_number": "id", "status": "s", "requested_at": "r", "service_code": "c"}}
    with pytest.raises(MappingError) as raised:
        mapping_from_data({**base, **data})
    assert message in str(raised.value)


def test_a_mapping_file_that_is_not_toml_is_refused(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[columns\ntracking_number = ")
    with pytest.raises(MappingError, match="not valid TOML"):
        load_mapping(path)


def test_a_file_without_a_required_column_is_refused_before_anything_is_written(jurisdiction, streets):
    header = tuple(column for column in PUBLIC_CASES_COLUMNS if column != "requested_datetime")
    with pytest.raises(SourceError, match="requested_datetime"):
        run(jurisdiction, philly_csv({}, header=header))
    with pytest.raises(SourceError, match="empty"):
        run(jurisdiction, b"")
    assert not ServiceRequest.objects.exists()


# --- the tracking-number sequence --------------------------------------------------------------------------


def test_new_requests_never_take_an_imported_number(jurisdiction, streets):
    assert tracking_numbers.next_number(jurisdiction) == 10_000_001
    result, _rejects = run(
        jurisdiction,
        philly_csv(
            {"service_request_id": "10000005"}, {"service_request_id": "SR-7"}, {"service_request_id": "12000000"}
        ),
        batch_size=1,
    )
    assert result.next_tracking_number == 12_000_001
    filed = filed_request(streets)
    assert filed.tracking_number == "12000001"
    run(jurisdiction, philly_csv({"service_request_id": "42"}))  # a lower number never moves it back
    assert tracking_numbers.next_number(jurisdiction) == 12_000_002


# --- dry runs ----------------------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_but_reports_and_writes_the_rejects(jurisdiction, streets):
    run(jurisdiction, philly_csv({}))
    before = tracking_numbers.next_number(jurisdiction)
    data = philly_csv({}, {"service_request_id": "99999999"}, {"status": "Nope"})
    result, rejects = run(jurisdiction, data, dry_run=True)
    assert (result.dry_run, result.accepted, result.existing, result.rejected) == (True, 2, 1, 1)
    assert (result.inserted, result.updated) == (0, 0)
    assert [row[:2] for row in rejects[1:]] == [["4", "unknown_status"]]
    assert ServiceRequest.objects.count() == 1 and HistoryEntry.objects.count() == 1
    assert tracking_numbers.next_number(jurisdiction) == before


# --- the command -------------------------------------------------------------------------------------------


def command(*args: str) -> tuple[int, str]:
    """(exit code, what it printed) of `manage.py import_requests`."""
    out = io.StringIO()
    try:
        call_command("import_requests", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_the_command_loads_a_file_shows_each_batch_and_exits_0(jurisdiction, streets, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(philly_csv(*({} for _ in range(5))))
    code, output = command(str(path), "--batch-size", "2")
    assert code == 0
    assert "batch 1, lines 2-3: 2 accepted (2 new, 0 updated, 0 unchanged), 0 rejected" in output
    assert "batch 3, lines 6-6: 1 accepted" in output
    assert "5 rows read" in output and "Loaded 5: 5 new, 0 updated, 0 unchanged." in output
    assert "No row was rejected." in output
    assert (tmp_path / "cases.csv.rejects.csv").read_text().startswith("line,reason,detail,objectid")

    code, output = command(str(path), "--jurisdiction", "philadelphia")
    assert code == 0 and "Loaded 5: 0 new, 0 updated, 5 unchanged." in output
    assert "Nothing changed" in output


def test_the_command_exits_1_when_rows_were_rejected(jurisdiction, streets, tmp_path):
    path, rejects = tmp_path / "cases.csv", tmp_path / "bad.csv"
    path.write_bytes(philly_csv({}, {"status": "Maybe"}, {"requested_datetime": "yesterday"}))
    code, output = command(str(path), "--rejects", str(rejects))
    assert code == 1
    assert "Rejected 2" in output and "unknown_status" in output and "(first on line 3)" in output
    assert "line 4: bad_date requested_datetime: “yesterday”" in output
    assert "2 rows were rejected" in output
    assert [row[:2] for row in csv.reader(rejects.open())][1:] == [["3", "unknown_status"], ["4", "bad_date"]]
    assert ServiceRequest.objects.count() == 1


def test_the_command_exits_2_for_usage_errors_and_writes_nothing(jurisdiction, streets, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(philly_csv({}))
    bad_mapping = tmp_path / "bad.toml"
    bad_mapping.write_text('[columns]\ntracking_number = "id"\n')
    no_id = tmp_path / "no-id.csv"
    no_id.write_bytes(philly_csv({}, header=PUBLIC_CASES_COLUMNS[2:]))

    for args, message in (
        ([str(tmp_path / "missing.csv")], "There is no file"),
        ([str(path), "--mapping", str(bad_mapping)], "must give status, requested_at"),
        ([str(path), "--mapping", str(tmp_path / "nowhere.toml")], "cannot be read"),
        ([str(path), "--jurisdiction", "atlantis"], "no jurisdiction “atlantis” (there are: philadelphia)"),
        ([str(path), "--batch-size", "0"], "--batch-size must be at least 1"),
        ([str(no_id)], "no column “service_request_id”"),
    ):
        code, output = command(*args)
        assert (code, message in output) == (2, True), (args, output)
    assert not ServiceRequest.objects.exists()
    assert not (tmp_path / "no-id.csv.rejects.csv").exists()


def test_the_command_exits_3_when_a_batch_fails(jurisdiction, streets, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(philly_csv(*({} for _ in range(4))))
    real_write = importer.BatchWriter.write

    def broken(self, rows):
        if rows[0][0] == "9000003":
            raise DatabaseError("could not extend file")
        return real_write(self, rows)

    with mock.patch.object(importer.BatchWriter, "write", broken):
        code, output = command(str(path), "--batch-size", "2")
    assert code == 3
    assert "Batch 2 (lines 4-5) failed in the database and was rolled back: could not extend file" in output
    assert ServiceRequest.objects.count() == 2


def test_the_command_dry_run_says_nothing_was_written(jurisdiction, streets, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(philly_csv({}, {}))
    code, output = command(str(path), "--dry-run")
    assert code == 0 and "Checking cases.csv" in output
    assert "Dry run: nothing was written. 2 rows would load (2 new, 0 already here)." in output
    assert not ServiceRequest.objects.exists()


def test_the_command_on_a_terminal_updates_one_line(jurisdiction, streets, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(philly_csv(*({} for _ in range(3))))

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    call_command("import_requests", str(path), "--batch-size", "2", stdout=out)
    output = out.getvalue()
    assert "\r\x1b[Kbatch 1 done, 2 rows read, 2 accepted, 0 rejected" in output
    assert "\r\x1b[Kbatch 2 done, 3 rows read, 3 accepted" in output
    assert "batch 1, lines" not in output  # no line per batch on a terminal


# --- civic311's own export comes back in -------------------------------------------------------------------


def test_a_citys_export_imports_into_another_city_as_it_was(jurisdiction, streets, center_city):
    from civic311.opendata.export import stream
    from civic311.opendata.selectors import Export
    from civic311.service_requests import services as requests

    opened = filed_request(
        streets, now=dt.datetime(2025, 3, 4, 14, 5, 6, tzinfo=UTC), address="1 S PENN SQ", zipcode="19107"
    )
    closed = filed_request(streets, now=dt.datetime(2025, 7, 1, 9, 0, tzinfo=UTC))
    requests.change_status(
        closed,
        Status.CLOSED,
        actor=None,
        public_reason="Issue Resolved",
        now=dt.datetime(2025, 7, 2, 10, 30, tzinfo=UTC),
    )
    exported = b"".join(stream(Export(jurisdiction), "csv", using="default"))

    county = JurisdictionFactory(slug="county", jurisdiction_id="county.example", is_default=False)
    ServiceFactory(jurisdiction=county, code="SR-ST02", name="Illegal Dumping")
    result, rejects = run(county, exported)
    assert (result.inserted, result.rejected) == (2, 0), rejects
    for original in (opened, closed):
        original.refresh_from_db()
        copy = ServiceRequest.objects.get(jurisdiction=county, tracking_number=original.tracking_number)
        assert copy.status == (Status.CLOSED if original.status == Status.CLOSED else Status.NEW)
        for name in ("requested_at", "updated_at", "expected_at", "closed_at"):
            mine, theirs = getattr(copy, name), getattr(original, name)
            assert (mine is None and theirs is None) or abs((mine - theirs).total_seconds()) < 1, name
        assert (copy.status_notes, copy.address, copy.zipcode) == (
            original.status_notes,
            original.address,
            original.zipcode,
        )
        assert (copy.lat, copy.long, copy.h3_cell) == (original.lat, original.long, original.h3_cell)


# --- batches written in parallel (PostgreSQL) ----------------------------------------------------------------


def test_one_writer_on_sqlite_in_a_dry_run_and_inside_the_callers_transaction(jurisdiction, streets):
    from django.db import connection

    from civic311.opendata.services import _writers_for

    # Inside the test's transaction other connections could not see the city: one writer, whatever is asked.
    assert _writers_for(connection, 4, dry_run=False) == 1
    assert _writers_for(connection, 4, dry_run=True) == 1
    result, _rejects = run(jurisdiction, philly_csv(*({} for _ in range(5))), batch_size=2, writers=4)
    assert (result.inserted, [batch.number for batch in result.batches]) == (5, [1, 2, 3])
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("civic311-import-writer")]


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_load_what_one_writer_loads_and_a_rerun_changes_nothing(jurisdiction, streets):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    rows = [{"requested_datetime": f"2016-08-{day:02d}T12:00:00-04:00"} for day in range(1, 12)]
    result, _rejects = run(jurisdiction, philly_csv(*rows, {"lat": "x"}), batch_size=2, writers=3)
    assert (result.read, result.inserted, result.rejected, result.failure) == (12, 11, 1, None)
    # Reported in the order read, each batch once, whichever thread finished first.
    assert [batch.number for batch in result.batches] == [1, 2, 3, 4, 5, 6]
    assert ServiceRequest.objects.filter(jurisdiction=jurisdiction).count() == 11
    assert HistoryEntry.objects.filter(service_request__jurisdiction=jurisdiction).count() == 11
    assert tracking_numbers.next_number(jurisdiction) > 9000011
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("civic311-import-writer")]

    again, _rejects = run(jurisdiction, philly_csv(*rows), batch_size=2, writers=3)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 11)
    assert HistoryEntry.objects.filter(service_request__jurisdiction=jurisdiction).count() == 11


@pytest.mark.django_db(transaction=True)
def test_a_failed_batch_among_parallel_writers_stops_the_import_and_a_rerun_resumes(jurisdiction, streets):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    real_write = importer.BatchWriter.write

    def third_batch_breaks(self, rows):
        if rows[0][0] == "9000005":
            rows[0][importer.REQUESTED_AT] = None  # the database refuses it (NOT NULL)
        return real_write(self, rows)

    data = philly_csv(*({} for _ in range(12)))
    with mock.patch.object(importer.BatchWriter, "write", third_batch_breaks):
        result, _rejects = run(jurisdiction, data, batch_size=2, writers=2)
    assert result.failure is not None and result.failure.number == 3
    written = [batch.number for batch in result.batches]
    # The batches before it committed; those already being written beside it (at most one per writer) may
    # have too, and are then reported; the rest are not begun; nothing of the failed batch stays.
    assert written[:2] == [1, 2] and 3 not in written and len(written) <= 2 + 2
    numbers = set(ServiceRequest.objects.filter(jurisdiction=jurisdiction).values_list("tracking_number", flat=True))
    assert not numbers & {"9000005", "9000006"}
    assert len(numbers) == 2 * len(written)

    again, _rejects = run(jurisdiction, data, batch_size=2, writers=2)
    assert (again.inserted + again.unchanged, again.failure) == (12, None)
    assert ServiceRequest.objects.filter(jurisdiction=jurisdiction).count() == 12
    assert HistoryEntry.objects.filter(service_request__jurisdiction=jurisdiction).count() == 12


def test_an_import_makes_open311_count_the_past_again(client, jurisdiction, streets, settings):
    settings.ALLOWED_HOSTS = ["*"]
    path = (
        "/open311/v2/requests.json?service_code=SR-ST02&start_date=2016-07-01T00:00:00Z&end_date=2016-09-01T00:00:00Z"
    )
    run(jurisdiction, philly_csv({}))
    assert client.get(path)["X-Total-Count"] == "1"  # now kept in the cache
    run(jurisdiction, philly_csv({}, {}))  # a second request of August 2016
    assert client.get(path)["X-Total-Count"] == "2"
