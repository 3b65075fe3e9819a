"""The public open-data export: Philadelphia's columns, CSV and GeoJSON, streamed, filtered, nothing private.

On PostgreSQL the downloads come from COPY; the tests marked `postgres_only` also hold COPY's bytes to
the ORM path's (the two must be the same file) and COPY's timestamps to `formats.timestamp`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Generator
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from civic311.jurisdictions.models import Jurisdiction
from civic311.open311 import formats
from civic311.opendata import export, selectors
from civic311.opendata.columns import PUBLIC_CASES_COLUMNS
from civic311.opendata.selectors import Export, ExportFilter
from civic311.service_requests import services as requests
from civic311.service_requests.models import ServiceRequest

from .factories import (
    DepartmentFactory,
    JurisdictionFactory,
    ServiceAttributeFactory,
    ServiceFactory,
    filed_request,
    jpeg,
)

CSV_URL = "/open-data/service-requests.csv"
GEOJSON_URL = "/open-data/service-requests.geojson"
NEW_YORK = ZoneInfo("America/New_York")
FILED = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)  # 10:00 in Philadelphia (EST, -05:00)

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")


@pytest.fixture(autouse=True)
def _no_cached_summary():
    # The dataset page's figures are cached by jurisdiction id, and SQLite reuses ids between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def other_service(jurisdiction):
    parks = DepartmentFactory(jurisdiction=jurisdiction, slug="parks", name="Parks & Recreation")
    return ServiceFactory(
        jurisdiction=jurisdiction,
        department=parks,
        code="SR-PR01",
        name="Tree Dangerous",
        service_notice="30 Business Days",
    )


def publish_descriptions(jurisdiction: Jurisdiction) -> None:
    jurisdiction.publish_descriptions = True
    jurisdiction.save()  # as the admin does (the site's cached jurisdiction is forgotten)


def body(response) -> bytes:
    assert response.status_code == 200, response.content if not response.streaming else ""
    assert response.streaming is True
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8"), newline="")))


def features(response) -> list[dict]:
    collection = json.loads(body(response))
    assert collection["type"] == "FeatureCollection"
    return collection["features"]


def ids(rows: list[dict[str, str]]) -> list[int]:
    return [int(row["objectid"]) for row in rows]


def close(service_request: ServiceRequest, reason: str, when: dt.datetime) -> ServiceRequest:
    return requests.change_status(service_request, "closed", actor=None, public_reason=reason, now=when)


# --- columns and cells --------------------------------------------------------------------------


def test_the_columns_are_philadelphias_in_its_order(client, service):
    filed_request(service, now=FILED)
    reader = csv.reader(io.StringIO(body(client.get(CSV_URL)).decode()))
    assert tuple(next(reader)) == PUBLIC_CASES_COLUMNS
    assert PUBLIC_CASES_COLUMNS[-2:] == ("lat", "lon")
    (feature,) = features(client.get(GEOJSON_URL))
    assert tuple(feature["properties"]) == PUBLIC_CASES_COLUMNS


def test_every_cell_of_a_closed_request(client, service):
    filed = filed_request(
        service,
        now=FILED,
        address="1400 John F Kennedy Blvd",
        zipcode="19102",
        description="Mattresses on the sidewalk.",
    )
    closed_at = dt.datetime(2026, 11, 25, 18, 30, 45, 987654, tzinfo=dt.UTC)
    close(filed, "Repair Completed", closed_at)
    filed.refresh_from_db()
    (row,) = csv_rows(client.get(CSV_URL))
    assert row == {
        "objectid": str(filed.pk),
        "service_request_id": filed.tracking_number,
        "subject": "Illegal Dumping",
        "status": "Closed",
        "status_notes": "Repair Completed",
        "service_name": "Illegal Dumping",
        "service_code": "SR-ST02",
        "agency_responsible": "Streets Department",
        "service_notice": "5 Business Days",
        "requested_datetime": "2026-11-23T10:00:00-05:00",
        "updated_datetime": "2026-11-25T13:30:45-05:00",  # to the second, as Open311 writes it
        "expected_datetime": formats.timestamp(filed.expected_at, NEW_YORK),
        "closed_datetime": "2026-11-25T13:30:45-05:00",
        "address": "1400 John F Kennedy Blvd",
        "zipcode": "19102",
        "media_url": "",
        "lat": "39.9526",
        "lon": "-75.1635",
    }
    assert row["expected_datetime"].startswith("2026-11-30T") and row["expected_datetime"].endswith("-05:00")


def test_an_open_request_in_summer_time_with_a_public_note(client, service):
    filed = filed_request(service, now=dt.datetime(2026, 7, 1, 16, 5, 9, tzinfo=dt.UTC))
    requests.add_note(
        filed, "Crew scheduled for Monday.", actor=None, public=True, now=dt.datetime(2026, 7, 2, 4, 0, tzinfo=dt.UTC)
    )
    (row,) = csv_rows(client.get(CSV_URL))
    assert row["status"] == "Open" and row["closed_datetime"] == ""
    assert row["requested_datetime"] == "2026-07-01T12:05:09-04:00"
    assert row["updated_datetime"] == "2026-07-02T00:00:00-04:00"  # the evening before in UTC's terms


@pytest.mark.parametrize("final", ["duplicate", "referred", "cancelled"])
def test_every_final_status_is_closed_and_reopening_opens(client, service, final):
    original = filed_request(service, now=FILED)
    ended = filed_request(service, now=FILED)
    if final == "duplicate":
        requests.change_status(ended, final, actor=None, duplicate_of=original)
    else:
        requests.change_status(ended, final, actor=None, public_reason="Sent to PECO")
    reopened = filed_request(service, now=FILED)
    close(reopened, "Issue Resolved", FILED + dt.timedelta(days=1))
    requests.change_status(reopened, "reopened", actor=None, public_reason="Still there")
    status = {int(row["objectid"]): row["status"] for row in csv_rows(client.get(CSV_URL))}
    assert status == {original.pk: "Open", ended.pk: "Closed", reopened.pk: "Open"}


def test_the_photo_link_is_the_clients_own_else_the_first_public_photo(client, service):
    linked = filed_request(service, now=FILED, media_url="https://photos.example.org/a.jpg")
    photographed = filed_request(service, now=FILED)
    private_photo = requests.add_photo(photographed, jpeg("private.jpg"), actor=None, stage="before", public=False)
    first = requests.add_photo(photographed, jpeg("first.jpg"), actor=None, stage="before", public=True)
    requests.add_photo(photographed, jpeg("second.jpg"), actor=None, stage="after", public=True)
    only_private = filed_request(service, now=FILED)
    requests.add_photo(only_private, jpeg(), actor=None, stage="before", public=False)
    urls = {int(row["objectid"]): row["media_url"] for row in csv_rows(client.get(CSV_URL))}
    assert urls[linked.pk] == "https://photos.example.org/a.jpg"
    assert urls[photographed.pk] == f"http://testserver{first.image.url}"
    assert private_photo.image.name is not None
    assert private_photo.image.name not in urls[photographed.pk]
    assert urls[only_private.pk] == ""
    geo = {
        feature["properties"]["objectid"]: feature["properties"]["media_url"]
        for feature in features(client.get(GEOJSON_URL))
    }
    assert geo == urls
    # A filtered export finds the photos another way on PostgreSQL (see selectors.copy_sql): the same links.
    filtered = {
        int(row["objectid"]): row["media_url"] for row in csv_rows(client.get(CSV_URL, {"service_code": service.code}))
    }
    assert filtered == urls
    filtered_geo = {
        feature["properties"]["objectid"]: feature["properties"]["media_url"]
        for feature in features(client.get(GEOJSON_URL, {"start_date": "2026-11-01"}))
    }
    assert filtered_geo == urls


# --- what is never published --------------------------------------------------------------------


def test_private_requests_are_left_out(client, service):
    public = filed_request(service, now=FILED)
    private = filed_request(service, now=FILED, is_private=True, address="12 Secret Lane")
    assert ids(csv_rows(client.get(CSV_URL))) == [public.pk]
    assert [feature["properties"]["objectid"] for feature in features(client.get(GEOJSON_URL))] == [public.pk]
    assert b"Secret Lane" not in body(client.get(CSV_URL)) + body(client.get(GEOJSON_URL))
    assert private.tracking_number.encode() not in body(client.get(CSV_URL))


def test_no_personal_data_internal_note_or_answers(client, service):
    ServiceAttributeFactory(service=service, code="what", description="What was dumped?")
    filed = filed_request(
        service,
        now=FILED,
        first_name="Zebulon",
        last_name="Quixote",
        email="zebulon.q@example.org",
        phone="215-555-0199",
        answers={"what": "Sofa-answer-7731"},
        description="Zebulon's mattress pile",
    )
    requests.add_note(filed, "Internal: caller is a landlord", actor=None, public=False)
    requests.change_status(filed, "in_progress", actor=None, internal_note="Crew chief note 4417")
    everything = body(client.get(CSV_URL)) + body(client.get(GEOJSON_URL))
    for secret in (
        "Zebulon",
        "Quixote",
        "zebulon.q@example.org",
        "555-0199",
        "Sofa-answer-7731",
        "landlord",
        "Crew chief note 4417",
        "mattress pile",
    ):
        assert secret.encode() not in everything, secret
    assert filed.tracking_number.encode() in everything


def test_descriptions_only_where_the_city_publishes_them(client, service):
    filed_request(service, now=FILED, description='Couch, "blue", 2\nitems')
    assert b"Couch" not in body(client.get(CSV_URL))
    publish_descriptions(service.jurisdiction)
    rows = csv_rows(client.get(CSV_URL))
    assert list(rows[0]) == [*PUBLIC_CASES_COLUMNS, "description"]
    assert rows[0]["description"] == 'Couch, "blue", 2\nitems'
    (feature,) = features(client.get(GEOJSON_URL))
    assert list(feature["properties"])[-3:] == ["lat", "lon", "description"]
    assert feature["properties"]["description"] == 'Couch, "blue", 2\nitems'


def test_another_citys_requests_are_left_out(client, service, settings):
    ours = filed_request(service, now=FILED)
    camden = JurisdictionFactory(
        slug="camden",
        name="Camden",
        jurisdiction_id="camden.example",
        is_default=False,
        min_lat=39.9,
        max_lat=39.96,
        min_long=-75.14,
        max_long=-75.05,
    )
    theirs = ServiceFactory(jurisdiction=camden, code="SR-ST02", name="Camden Dumping")
    filed_request(theirs, now=FILED, lat="39.93", long="-75.1")
    assert ids(csv_rows(client.get(CSV_URL))) == [ours.pk]
    assert b"Camden" not in body(client.get(GEOJSON_URL))
    # Camden's own site publishes Camden's requests only.
    camden.host = "311.camden.example"
    camden.save()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "311.camden.example"]
    rows = csv_rows(client.get(CSV_URL, HTTP_HOST="311.camden.example"))
    assert [row["subject"] for row in rows] == ["Camden Dumping"]


# --- filters ------------------------------------------------------------------------------------


def test_dates_are_the_citys_days_and_end_date_is_included(client, service):
    late_on_the_31st = filed_request(service, now=dt.datetime(2026, 2, 1, 4, 30, tzinfo=dt.UTC))  # 23:30 local
    first_of_feb = filed_request(service, now=dt.datetime(2026, 2, 1, 5, 0, tzinfo=dt.UTC))  # midnight local
    early = filed_request(service, now=dt.datetime(2026, 1, 10, 15, 0, tzinfo=dt.UTC))
    january = ids(csv_rows(client.get(CSV_URL, {"start_date": "2026-01-11", "end_date": "2026-01-31"})))
    assert january == [late_on_the_31st.pk]
    assert ids(csv_rows(client.get(CSV_URL, {"start_date": "2026-02-01"}))) == [first_of_feb.pk]
    assert ids(csv_rows(client.get(CSV_URL, {"end_date": "2026-01-10"}))) == [early.pk]
    # A date and time with an offset is an instant; one without is the city's time.
    assert ids(
        csv_rows(client.get(CSV_URL, {"start_date": "2026-02-01T04:30:00Z", "end_date": "2026-02-01T04:30:00Z"}))
    ) == [late_on_the_31st.pk]
    assert ids(csv_rows(client.get(CSV_URL, {"start_date": "2026-02-01T00:00:00"}))) == [first_of_feb.pk]
    assert len(features(client.get(GEOJSON_URL, {"end_date": "2026-01-31"}))) == 2


def test_service_codes_one_or_several(client, service, other_service):
    dumping = filed_request(service, now=FILED)
    tree = filed_request(other_service, now=FILED)
    third = ServiceFactory(jurisdiction=service.jurisdiction, code="SR-X9")
    filed_request(third, now=FILED)
    assert ids(csv_rows(client.get(CSV_URL, {"service_code": "SR-PR01"}))) == [tree.pk]
    assert ids(csv_rows(client.get(CSV_URL, {"service_code": "SR-ST02,SR-PR01"}))) == [dumping.pk, tree.pk]
    assert ids(csv_rows(client.get(f"{CSV_URL}?service_code=SR-ST02&service_code=SR-PR01"))) == [dumping.pk, tree.pk]
    (row,) = csv_rows(client.get(CSV_URL, {"service_code": "SR-PR01"}))
    assert row["agency_responsible"] == "Parks & Recreation" and row["service_notice"] == "30 Business Days"


def test_an_unknown_service_code_is_a_400_naming_it(client, service):
    response = client.get(CSV_URL, {"service_code": "SR-ST02,NOPE-1"})
    assert response.status_code == 400 and not response.streaming
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "service_code" in response.content.decode() and "NOPE-1" in response.content.decode()
    assert "SR-ST02" not in response.content.decode()
    # Another city's code is unknown here.
    camden = JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camden.example", is_default=False)
    ServiceFactory(jurisdiction=camden, code="CAM-1")
    assert client.get(GEOJSON_URL, {"service_code": "CAM-1"}).status_code == 400


def test_updated_after_is_inclusive_and_ordered_by_update_then_id(client, service):
    first, second, third, untouched = (filed_request(service, now=FILED) for _ in range(4))
    later = FILED + dt.timedelta(days=3)
    # Updated in the order third, first (same instant as third), second: not the id order.
    requests.add_note(third, "a", actor=None, public=True, now=later)
    requests.add_note(first, "b", actor=None, public=True, now=later)
    requests.add_note(second, "c", actor=None, public=True, now=later + dt.timedelta(seconds=1))
    after = formats.timestamp(later, NEW_YORK)
    rows = csv_rows(client.get(CSV_URL, {"updated_after": after}))
    assert ids(rows) == [first.pk, third.pk, second.pk]
    assert [row["updated_datetime"] for row in rows] == [
        after,
        after,
        formats.timestamp(later + dt.timedelta(seconds=1), NEW_YORK),
    ]
    assert untouched.pk not in ids(rows)
    # Resuming from the last one received gives it again, and nothing missed.
    assert ids(csv_rows(client.get(CSV_URL, {"updated_after": rows[-1]["updated_datetime"]}))) == [second.pk]
    # Without updated_after: by objectid.
    assert ids(csv_rows(client.get(CSV_URL))) == [first.pk, second.pk, third.pk, untouched.pk]
    geo = features(client.get(GEOJSON_URL, {"updated_after": after}))
    assert [feature["properties"]["objectid"] for feature in geo] == [first.pk, third.pk, second.pk]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-02-30"}, "end_date"),
        ({"updated_after": "2026-13-01T00:00:00Z"}, "updated_after"),
        ({"updated_after": "x" * 500}, "updated_after"),
        ({"start_date": "2026-02-01", "end_date": "2026-01-01"}, "end_date"),
        ({"service_code": "A" * 41}, "service_code"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(client, service, query, named):
    for url in (CSV_URL, GEOJSON_URL):
        response = client.get(url, query)
        assert response.status_code == 400, url
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert named in response.content.decode()


def test_bad_parameters_are_explained_in_the_readers_language(client, service):
    response = client.get(CSV_URL, {"start_date": "ayer"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400 and response["Content-Language"] == "es"
    with translation.override("es"):
        expected = translation.gettext(
            "%(name)s must be a date like 2026-01-31 or a date and time like 2026-01-31T14:30:00-05:00."
        ) % {"name": "start_date"}
    assert response.content.decode() == expected + "\n"
    unknown = client.get(CSV_URL, {"service_code": "NOPE"}, HTTP_ACCEPT_LANGUAGE="es")
    with translation.override("es"):
        expected = translation.ngettext(
            "service_code: there is no service with the code %(codes)s.",
            "service_code: there are no services with the codes %(codes)s.",
            1,
        )
    assert unknown.content.decode() == expected % {"codes": "NOPE"} + "\n"


# --- the files ----------------------------------------------------------------------------------


def test_geojson_is_one_valid_feature_collection_with_null_geometry_without_a_point(client, service, center_city):
    pointed = filed_request(service, now=FILED, lat="39.95", long="-75.16")
    pointless = filed_request(
        service, now=FILED, lat="", long="", neighborhood="center-city", address='5th & "Market", 2\\3'
    )
    response = client.get(GEOJSON_URL)
    assert response["Content-Type"] == "application/geo+json"
    by_id = {feature["properties"]["objectid"]: feature for feature in features(response)}
    assert by_id[pointed.pk]["type"] == "Feature"
    assert by_id[pointed.pk]["geometry"] == {"type": "Point", "coordinates": [-75.16, 39.95]}
    assert by_id[pointless.pk]["geometry"] is None
    properties = by_id[pointless.pk]["properties"]
    assert properties["lat"] is None and properties["lon"] is None and properties["closed_datetime"] is None
    assert properties["address"] == '5th & "Market", 2\\3' and properties["zipcode"] == ""
    assert (properties["requested_datetime"], properties["status"]) == ("2026-11-23T10:00:00-05:00", "Open")
    (row,) = [row for row in csv_rows(client.get(CSV_URL)) if row["objectid"] == str(pointless.pk)]
    assert (row["lat"], row["lon"]) == ("", "")


def test_an_empty_export_is_a_header_or_an_empty_collection(client, jurisdiction):
    assert body(client.get(CSV_URL)) == (",".join(PUBLIC_CASES_COLUMNS) + "\n").encode()
    assert json.loads(body(client.get(GEOJSON_URL))) == {"type": "FeatureCollection", "features": []}


def test_downloads_are_named_cacheable_attachments(client, service):
    filed_request(service, now=FILED)
    for url, name, content_type in (
        (CSV_URL, "philadelphia-service-requests.csv", "text/csv; charset=utf-8"),
        (GEOJSON_URL, "philadelphia-service-requests.geojson", "application/geo+json"),
    ):
        response = client.get(url)
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'
        assert response["Content-Type"] == content_type
        assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
        head = client.head(url)
        assert (
            head.status_code == 200
            and head.content == b""
            and head["Content-Disposition"] == response["Content-Disposition"]
        )
    assert client.post(CSV_URL).status_code == 405


def test_the_orm_path_reads_in_keyset_pages(service, settings):
    made = [filed_request(service, now=FILED) for _ in range(5)]
    wanted = Export(service.jurisdiction)
    with CaptureQueriesContext(connection) as queries:
        pages = list(selectors.chunks(wanted, chunk_size=2, using="default"))
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [row[0] for page in pages for row in page] == [request.pk for request in made]
    selects = [query["sql"] for query in queries.captured_queries if "requests_servicerequest" in query["sql"]]
    assert len(selects) == 3
    assert all("OFFSET" not in sql.upper() for sql in selects)
    # A page that comes back full needs one more query to know it was the last; by update too.
    harvest = Export(service.jurisdiction, ExportFilter(updated_after=FILED))
    assert [len(page) for page in selectors.chunks(harvest, chunk_size=5, using="default")] == [5]
    assert [len(page) for page in selectors.chunks(harvest, chunk_size=4, using="default")] == [4, 1]


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL's downloads use COPY")
def test_a_download_on_sqlite_is_written_page_by_page(client, service, monkeypatch):
    made = [filed_request(service, now=FILED) for _ in range(5)]
    monkeypatch.setattr(selectors, "CHUNK_SIZE", 2)
    response = client.get(CSV_URL)
    pieces = list(response.streaming_content)
    assert len(pieces) == 1 + 3  # the header, then one piece a page
    assert [int(line.split(b",")[0]) for line in b"".join(pieces[1:]).splitlines()] == [r.pk for r in made]
    geo = list(client.get(GEOJSON_URL).streaming_content)
    assert len(geo) == 1 + 3 + 1  # header, pages, footer
    assert len(json.loads(b"".join(geo))["features"]) == 5


# --- the dataset page ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_dataset_page_describes_columns_filters_and_downloads(client, service, language):
    filed_request(service, now=FILED)
    client.cookies["django_language"] = language
    response = client.get(reverse("opendata:dataset"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert 'href="http://testserver/open-data/service-requests.csv"' in html
    assert 'href="http://testserver/open-data/service-requests.geojson"' in html
    for column in PUBLIC_CASES_COLUMNS:
        assert f"<code>{column}</code>" in html, column
    assert "<code>description</code>" not in html
    for parameter in ("start_date", "end_date", "service_code", "updated_after"):
        assert f"<code>{parameter}</code>" in html
    assert "SR-ST02" in html and "2026-11-23T10:00:00-05:00" in html
    with translation.override(language):
        assert translation.gettext("Open data: service requests") in html
    assert " style=" not in html and "<script>" not in html  # the content security policy forbids them


def test_the_dataset_page_counts_cheaply_and_says_about_for_an_estimate(client, service, monkeypatch):
    for _ in range(3):
        filed_request(service, now=FILED)
    filed_request(service, now=FILED, is_private=True)
    html = client.get(reverse("opendata:dataset")).content.decode()
    assert "3 requests." in html and "About" not in html
    assert "Last change:" in html
    # Cached: a new request does not cost another count until the cache expires.
    filed_request(service, now=FILED)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("opendata:dataset")).content.decode()
    assert "3 requests." in html
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
    cache.clear()
    if connection.vendor == "postgresql":
        # Many rows: the planner's estimate (never a COUNT), rounded, with "about".
        monkeypatch.setattr(selectors, "EXACT_COUNT_BELOW", 0)
        monkeypatch.setattr(selectors, "_planner_estimate", lambda requests, alias: 4_987_321)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("opendata:dataset")).content.decode()
        assert "About 4,987,000 requests." in html
        assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


def test_the_dataset_page_lists_the_description_column_when_published(client, service):
    publish_descriptions(service.jurisdiction)
    html = client.get(reverse("opendata:dataset")).content.decode()
    assert "<code>description</code>" in html


def test_the_admin_offers_the_opt_in(admin_client, jurisdiction):
    html = admin_client.get(reverse("admin:jurisdictions_jurisdiction_change", args=[jurisdiction.pk])).content
    assert b'name="publish_descriptions"' in html
    assert Jurisdiction._meta.get_field("publish_descriptions").default is False


# --- PostgreSQL: COPY agrees with the ORM path --------------------------------------------------


TRICKY_TEXT = [
    "",
    "plain",
    "comma, here",
    'quote " here',
    "new\nline",
    "lone\rcarriage",
    "crlf\r\nend",
    "tab\there",
    "back\\slash",
    "\\.",
    "ünïcödé — 東京 🚧",
    "control \x01 \x1f char",
    '\'=HYPERLINK("x")',
    " spaced ",
]


@postgres_only
def test_copy_and_the_orm_path_write_the_same_bytes(service, other_service, center_city):
    jurisdiction = service.jurisdiction
    publish_descriptions(jurisdiction)
    coordinates = [("40.0", "-75.0"), ("39.95261234567891", "-75.16350000000001"), ("39.9", "-75.1"), ("", "")]
    moments = [
        dt.datetime(2026, 3, 8, 6, 59, 59, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 1, 5, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 1, 6, 0, 0, 1, tzinfo=dt.UTC),
    ]
    for index, text in enumerate(TRICKY_TEXT):
        lat, long = coordinates[index % len(coordinates)]
        filed = filed_request(
            service if index % 2 else other_service,
            now=moments[index % len(moments)],
            lat=lat,
            long=long,
            address="1 Test St",
            description="x",
            media_url="https://img.example.org/1.jpg" if index == 3 else "",
        )
        # Straight into the row: intake would tidy these, an import or the admin might not.
        ServiceRequest.objects.filter(pk=filed.pk).update(address=text, status_notes=text, description=text)
        if index % 3 == 0:
            close(filed, f"Closed: {text}" if text else "Issue Resolved", moments[(index + 1) % len(moments)])
        if index == 1:
            # A negative zero cannot come through the ORM here (the literal -0.0 is parsed as minus zero).
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE requests_servicerequest SET lat = '-0'::float8, long = 1e-05 WHERE id = %s", [filed.pk]
                )
        if index == 2:
            ServiceRequest.objects.filter(pk=filed.pk).update(lat=-12.5, long=0.0)
        if index in (5, 6):
            requests.add_photo(filed, jpeg("private.jpg"), actor=None, stage="before", public=False)
            requests.add_photo(filed, jpeg("first.jpg"), actor=None, stage="before", public=True)
            requests.add_photo(filed, jpeg("second.jpg"), actor=None, stage="after", public=True)
    for wanted in (
        ExportFilter(),
        ExportFilter(updated_after=moments[1]),
        ExportFilter(service_ids=(service.pk,), requested_from=moments[0]),
    ):
        chosen = Export(jurisdiction, wanted, photo_base="https://311.example.gov/media/")
        for fmt in (export.CSV, export.GEOJSON):
            copied = b"".join(export.stream(chosen, fmt, using="default"))
            written = _orm_written(chosen, fmt)
            assert copied == written, fmt
        lines = b"".join(export.stream(chosen, export.CSV, using="default")).decode()
        assert len(list(csv.reader(io.StringIO(lines, newline="")))) == 1 + len(list(_all_rows(chosen)))
    collection = json.loads(b"".join(export.stream(Export(jurisdiction), export.GEOJSON, using="default")))
    assert {feature["properties"]["description"] for feature in collection["features"]} == set(TRICKY_TEXT)


def _all_rows(chosen: Export):
    for page in selectors.chunks(chosen, chunk_size=3, using="default"):
        yield from page


def _orm_written(chosen: Export, fmt: str) -> bytes:
    pages = list(selectors.chunks(chosen, chunk_size=3, using="default"))
    if fmt == export.CSV:
        return export.csv_header(chosen) + b"".join(export.csv_lines(page, chosen) for page in pages)
    pieces = [
        (b"\n" if index == 0 else b",\n") + export.geojson_lines(page, chosen) for index, page in enumerate(pages)
    ]
    return export.GEOJSON_HEADER + b"".join(pieces) + export.GEOJSON_FOOTER


@postgres_only
@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London", "Asia/Kolkata", "America/St_Johns", "UTC"])
def test_copys_timestamps_are_formats_timestamp_across_dst(db, zone):
    instants = []
    for day in (dt.date(2026, 3, 8), dt.date(2026, 3, 29), dt.date(2026, 11, 1), dt.date(2026, 10, 25)):
        start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC) - dt.timedelta(hours=6)
        instants += [start + dt.timedelta(minutes=30 * step, microseconds=999_999 * (step % 2)) for step in range(36)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [zone])
        cursor.execute("SELECT to_char(t, %s) FROM unnest(%s::timestamptz[]) AS t", [selectors.PG_TIMESTAMP, instants])
        printed = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT set_config('TimeZone', 'UTC', true)")
    assert printed == [formats.timestamp(instant, ZoneInfo(zone)) for instant in instants]


@postgres_only
def test_a_broken_off_download_leaves_the_connection_usable_and_its_settings_as_they_were(service):
    for _ in range(3):
        filed_request(service, now=FILED)

    def settings_now() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('TimeZone'), current_setting('statement_timeout')")
            return cursor.fetchone()

    before = settings_now()
    # copy_chunks is a generator (it promises only an Iterator): closing it is what a departing client does.
    pieces = cast(
        "Generator[bytes, None, None]", selectors.copy_chunks(Export(service.jurisdiction), export.CSV, using="default")
    )
    next(pieces)
    pieces.close()  # the client went away
    whole = b"".join(export.stream(Export(service.jurisdiction), export.CSV, using="default"))
    assert whole.count(b"\n") == 4
    assert settings_now() == before
    assert ServiceRequest.objects.filter(jurisdiction=service.jurisdiction).count() == 3
