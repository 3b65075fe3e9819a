"""Issue 22: intake's rows written in one statement on PostgreSQL (filed_rows.py) are the rows the ORM writes,
a replay files nothing and leaves nothing behind, and tracking numbers come from a sequence per city."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict

from civic311.jurisdictions import tracking_numbers
from civic311.jurisdictions.models import Jurisdiction
from civic311.open311.models import ApiKeyActivity
from civic311.open311.services import issue_api_key
from civic311.people.models import Requester
from civic311.service_requests import services as requests
from civic311.service_requests.models import Announcement, Contact, HistoryEntry, ServiceRequest
from civic311.service_requests.services import filed_rows
from civic311.service_requests.services.history import new_history_entry

from .factories import JurisdictionFactory, filed_request

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement write and the sequences are PostgreSQL's"
)

NOW = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)


def built_rows(service, number: str, *, key: str | None, email: str = "pat@example.org") -> filed_rows.FiledRows:
    requester = Requester(first_name="Pat", email=email, language="es", created_at=NOW) if email else None
    request = ServiceRequest(
        jurisdiction=service.jurisdiction,
        tracking_number=number,
        service=service,
        department=service.department,
        channel="open311",
        status="new",
        description="Mattresses on the sidewalk.",
        address="1400 JFK Blvd",
        lat=39.9526,
        long=-75.1635,
        h3_cell="8a2a1072b59ffff",
        attributes={"size": "large", "what": ["tires", "mattress"]},
        requester=requester,
        idempotency_key=key,
        requested_at=NOW,
        updated_at=NOW,
        expected_at=NOW + dt.timedelta(days=3),
    )
    opened = new_history_entry(request, "opened", actor=None, actor_label="A client", public=True, now=NOW)
    contact = Contact(
        jurisdiction=service.jurisdiction,
        channel="open311",
        outcome=Contact.Outcome.SERVICE_REQUEST,
        service=service,
        started_at=NOW,
        ended_at=NOW,
    )
    return filed_rows.FiledRows(request, requester, opened, contact)


def stored(rows: filed_rows.FiledRows) -> dict[str, dict]:
    """Every column of every row written, read back, without the ids and the links between them."""
    request = ServiceRequest.objects.get(pk=rows.service_request.pk)
    entry = HistoryEntry.objects.get(service_request=request)
    ignored = {"id", "tracking_number", "idempotency_key", "requester", "service_request", "history_entry"}

    def fields(instance) -> dict:
        return {k: v for k, v in model_to_dict(instance).items() if k not in ignored}

    assert request.requester is not None
    return {
        "request": fields(request),
        "requester": fields(request.requester),
        "entry": fields(entry),
        "announcement": fields(Announcement.objects.get(history_entry=entry)),
        "contact": fields(Contact.objects.get(service_request=request, requester=request.requester)),
    }


@postgresql_only
@pytest.mark.parametrize("server_side_binding", [True, False], ids=["numbered-marks", "behind-pgbouncer"])
def test_the_one_statement_writes_exactly_what_the_orm_writes(service, server_side_binding, monkeypatch):
    # With server-side binding (the default) the statement has $n marks and goes through psycopg's raw cursor;
    # behind a PgBouncer without prepared statements it has %s marks and goes through Django's cursor.
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "server_side_binding", server_side_binding)
    api_key = issue_api_key(service.jurisdiction, "Client").api_key
    one = built_rows(service, "1", key="open311:1:a")
    orm = built_rows(service, "2", key="open311:1:b")
    for rows in (one, orm):
        rows.extra = [ApiKeyActivity(api_key=api_key, action=ApiKeyActivity.Action.CREATED_REQUEST)]
    with transaction.atomic():
        filed_rows._write_in_one_statement(one, connection)
        filed_rows._write_with_the_orm(orm)

    assert stored(one) == stored(orm)
    audits = [model_to_dict(ApiKeyActivity.objects.get(service_request=r.service_request)) for r in (one, orm)]
    for audit in audits:
        del audit["id"], audit["service_request"]
    assert audits[0] == audits[1] and audits[0]["action"] == ApiKeyActivity.Action.CREATED_REQUEST
    # The objects in memory carry their ids and links, as the ORM's do.
    assert one.requester is not None and one.service_request.requester_id == one.requester.pk
    assert one.opened.service_request_id == one.service_request.pk
    assert one.contact is not None and one.contact.service_request_id == one.service_request.pk


@postgresql_only
def test_the_numbered_statement_is_one_query_seen_like_any_other(service):
    """The raw cursor is wrapped as Django wraps its own: the query is recorded (query counts stay true) and a
    database error arrives as Django's."""
    from django.db import IntegrityError
    from django.test.utils import CaptureQueriesContext

    assert connection.settings_dict["OPTIONS"].get("server_side_binding") is True
    rows = built_rows(service, "1", key="open311:1:a")
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        filed_rows.write(rows)
    written = [query["sql"] for query in queries if "INSERT" in query["sql"]]
    assert len(written) == 1 and "$1::" in written[0]

    clash = built_rows(service, "1", key="open311:1:b")  # the same tracking number: a unique violation
    with pytest.raises(IntegrityError), transaction.atomic():
        filed_rows.write(clash)


@pytest.mark.parametrize("email", ["pat@example.org", ""])
def test_a_taken_key_writes_nothing_at_all_and_leaves_the_transaction_usable(service, email):
    first = built_rows(service, "1", key="open311:1:same", email=email)
    with transaction.atomic():
        filed_rows.write(first)
    counts = [model.objects.count() for model in (ServiceRequest, Requester, HistoryEntry, Announcement, Contact)]

    with transaction.atomic():
        with pytest.raises(filed_rows.AlreadyFiled):
            filed_rows.write(built_rows(service, "2", key="open311:1:same", email=email))
        assert ServiceRequest.objects.filter(tracking_number="1").exists()  # the transaction still answers

    assert [m.objects.count() for m in (ServiceRequest, Requester, HistoryEntry, Announcement, Contact)] == counts


def test_a_replayed_submission_returns_the_first_request_and_leaves_no_requester(service):
    report = requests.Report(
        service_code=service.code, lat="39.9526", long="-75.1635", email="pat@example.org", idempotency_key="k-1"
    )
    first = requests.submit(service.jurisdiction, report).service_request
    requesters = Requester.objects.count()

    again = requests.submit(service.jurisdiction, report)

    assert again.created is False and again.service_request.pk == first.pk
    assert Requester.objects.count() == requesters
    assert ServiceRequest.objects.count() == 1


def test_a_failed_intake_leaves_a_gap_in_the_numbers_never_a_shared_number(service):
    first = filed_request(service)
    with pytest.raises(ZeroDivisionError):  # a caller's own row that fails: the filing is rolled back
        requests.submit(
            service.jurisdiction,
            requests.Report(service_code=service.code, lat="39.9526", long="-75.1635"),
            also=lambda _request: 1 / 0,
        )
    assert ServiceRequest.objects.count() == 1
    second = filed_request(service)
    assert int(second.tracking_number) == int(first.tracking_number) + 2


def test_the_next_number_moves_past_an_imported_one_and_never_back(jurisdiction):
    tracking_numbers.keep_above(jurisdiction, 12_000_000)
    assert tracking_numbers.next_number(jurisdiction) == 12_000_001
    tracking_numbers.keep_above(jurisdiction, 11_000_000)
    assert tracking_numbers.next_number(jurisdiction) == 12_000_001
    assert requests.allocate_tracking_numbers(jurisdiction, 2) == [12_000_001, 12_000_002]


@postgresql_only
def test_each_city_has_its_own_sequence_made_and_dropped_with_it(jurisdiction):
    other = JurisdictionFactory(slug="camden", jurisdiction_id="camdennj.gov", next_tracking_number=500)
    assert requests.allocate_tracking_numbers(other, 1) == [500]
    assert requests.allocate_tracking_numbers(jurisdiction, 1) == [10_000_001]
    # Intake updates no jurisdiction row: the counter column stays where the sequence began.
    assert Jurisdiction.objects.get(pk=other.pk).next_tracking_number == 500

    pk = other.pk
    other.delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [tracking_numbers.sequence_name(pk)])
        assert cursor.fetchone() == (None,)
