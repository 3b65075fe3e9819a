"""FixMyStreet's servicerequestupdates: GET lists public updates; POST maps a client's update onto the
lifecycle, as the client, in one transaction, refusing a repeated update_id."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from civic311.open311 import services as open311
from civic311.open311.models import ApiKeyActivity, ReceivedUpdate
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, ServiceRequest

from .factories import filed_request

pytestmark = pytest.mark.django_db

URL = "/open311/v2/servicerequestupdates.{fmt}"
FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
    "external_status_code",
]


@pytest.fixture
def issued(jurisdiction):
    return open311.issue_api_key(jurisdiction, "FixMyStreet")


@pytest.fixture
def key(issued):
    return issued.key


@pytest.fixture
def filed(service):
    return filed_request(service)


def body(response):
    return json.loads(response.content)


def stamp(value: dt.datetime) -> str:
    return value.astimezone(ZoneInfo("America/New_York")).replace(microsecond=0).isoformat()


def send(client, key, filed, status="OPEN", *, fmt="json", update_id="fms-1", **extra):
    data = {
        "api_key": key,
        "service_request_id": filed.tracking_number,
        "update_id": update_id,
        "status": status,
        "updated_datetime": "2024-01-01T00:13:37Z",
        "description": "",
        **extra,
    }
    return client.post(URL.format(fmt=fmt), data)


def assert_error(response, status, pattern):
    assert response.status_code == status, response.content
    errors = body(response)
    assert all(set(error) == {"code", "description"} and error["code"] == status for error in errors)
    assert any(re.search(pattern, error["description"]) for error in errors), errors


def counts():
    return (
        HistoryEntry.objects.count(),
        ReceivedUpdate.objects.count(),
        ApiKeyActivity.objects.count(),
        list(ServiceRequest.objects.values_list("status", "status_notes", "updated_at")),
    )


# --- GET ----------------------------------------------------------------------------------------------


def test_get_lists_status_changes_and_public_notes(client, filed, staff, service):
    requests_services.change_status(filed, Status.IN_PROGRESS, actor=staff, public_reason="Crew on the way.")
    requests_services.add_note(filed, "Internal only.", actor=staff, public=False)
    requests_services.add_note(filed, "Still working on it.", actor=staff, public=True)
    requests_services.change_status(filed, Status.CLOSED, actor=staff, public_reason="Repair Completed")
    hidden = filed_request(service)
    requests_services.update_details(hidden, {"is_private": True}, actor=staff)
    requests_services.add_note(hidden, "Private request's note.", actor=staff, public=True)

    response = client.get(URL.format(fmt="json"))
    assert response.status_code == 200
    entries = list(filed.history.filter(is_public=True).exclude(kind=HistoryEntry.Kind.OPENED).order_by("pk"))
    assert body(response) == [
        {
            "update_id": str(entries[0].pk),
            "service_request_id": filed.tracking_number,
            "status": "IN_PROGRESS",
            "updated_datetime": stamp(entries[0].created_at),
            "description": "Crew on the way.",
            "media_url": None,
            "external_status_code": "in_progress",
        },
        {
            "update_id": str(entries[1].pk),
            "service_request_id": filed.tracking_number,
            "status": "IN_PROGRESS",
            "updated_datetime": stamp(entries[1].created_at),
            "description": "Still working on it.",
            "media_url": None,
            "external_status_code": "in_progress",
        },
        {
            "update_id": str(entries[2].pk),
            "service_request_id": filed.tracking_number,
            "status": "CLOSED",
            "updated_datetime": stamp(entries[2].created_at),
            "description": "Repair Completed",
            "media_url": None,
            "external_status_code": "closed",
        },
    ]
    assert response["X-Total-Count"] == "3"


def test_get_in_xml(client, filed, staff):
    requests_services.add_note(filed, "Looking into it.", actor=staff, public=True)
    response = client.get(URL.format(fmt="xml"))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?><service_request_updates><request_update>')
    root = ET.fromstring(text.split("?>", 1)[1])  # noqa: S314  (our own output)
    [update] = list(root)
    assert update.tag == "request_update"
    assert [child.tag for child in update] == FIELDS
    assert update.findtext("status") == "OPEN"
    assert update.findtext("description") == "Looking into it."


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.ACKNOWLEDGED, "INVESTIGATING"),
        (Status.ON_HOLD, "ACTION_SCHEDULED"),
        (Status.REFERRED, "NOT_COUNCILS_RESPONSIBILITY"),
        (Status.CANCELLED, "CANCELLED"),
    ],
)
def test_our_statuses_as_fixmystreets(client, filed, staff, status, expected):
    requests_services.change_status(filed, status, actor=staff, public_reason="Why.")
    assert [item["status"] for item in body(client.get(URL.format(fmt="json")))] == [expected]


def test_reopening_is_listed_as_reopen(client, filed, staff):
    requests_services.change_status(filed, Status.CLOSED, actor=staff, public_reason="Issue Resolved")
    requests_services.change_status(filed, Status.REOPENED, actor=staff, public_reason="Back again.")
    assert [item["status"] for item in body(client.get(URL.format(fmt="json")))] == ["CLOSED", "REOPEN"]


def test_get_window_and_pages(client, filed, staff):
    now = timezone.now()
    old = requests_services.add_note(filed, "Long ago.", actor=staff, public=True, now=now - dt.timedelta(days=100))
    recent = requests_services.add_note(filed, "Recent.", actor=staff, public=True, now=now - dt.timedelta(days=1))
    later = requests_services.add_note(filed, "Today.", actor=staff, public=True, now=now)

    ids = lambda response: [item["update_id"] for item in body(response)]  # noqa: E731
    assert ids(client.get(URL.format(fmt="json"))) == [str(recent.pk), str(later.pk)]
    start = (now - dt.timedelta(days=101)).isoformat()
    end = (now - dt.timedelta(days=50)).isoformat()
    assert ids(client.get(URL.format(fmt="json"), {"start_date": start, "end_date": end})) == [str(old.pk)]
    assert ids(
        client.get(
            URL.format(fmt="json"),
            {"start_date": (now - dt.timedelta(days=2)).isoformat(), "page_size": "1", "page": "2"},
        )
    ) == [str(later.pk)]
    too_wide = client.get(
        URL.format(fmt="json"), {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z"}
    )
    assert_error(too_wide, 400, "90 days")
    assert_error(client.get(URL.format(fmt="json"), {"start_date": "yesterday"}), 400, "^start_date must be")
    assert_error(client.get(URL.format(fmt="json"), {"page_size": "5000"}), 400, "^page_size")


# --- POST: each status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fms", "status", "note_only"),
    [
        ("OPEN", Status.NEW, True),
        ("INVESTIGATING", Status.IN_PROGRESS, False),
        ("IN_PROGRESS", Status.IN_PROGRESS, False),
        ("ACTION_SCHEDULED", Status.IN_PROGRESS, False),
        ("FIXED", Status.CLOSED, False),
        ("CLOSED", Status.CLOSED, False),
        ("NO_FURTHER_ACTION", Status.CLOSED, False),
        ("DUPLICATE", Status.NEW, True),
        ("NOT_COUNCILS_RESPONSIBILITY", Status.REFERRED, False),
        ("INTERNAL_REFERRAL", Status.REFERRED, False),
        ("CANCELLED", Status.CANCELLED, False),
    ],
)
def test_post_maps_each_status(client, filed, key, issued, fms, status, note_only):
    response = send(client, key, filed, fms, description="Said by the council.")
    assert response.status_code == 200, response.content
    filed.refresh_from_db()
    assert filed.status == status
    entry = filed.history.filter(is_public=True).latest("pk")
    assert entry.kind == (HistoryEntry.Kind.NOTE if note_only else HistoryEntry.Kind.STATUS)
    assert (entry.text, entry.actor_id, entry.actor_label) == ("Said by the council.", None, "FixMyStreet")
    if not note_only:
        assert filed.status_notes == "Said by the council."
    assert body(response) == [
        {
            "update_id": str(entry.pk),
            "service_request_id": filed.tracking_number,
            "status": fms,
            "updated_datetime": stamp(entry.created_at),
            "description": "Said by the council.",
            "media_url": None,
            "external_status_code": status.value,
        }
    ]
    received = ReceivedUpdate.objects.get()
    assert (received.update_id, received.status, received.history_entry, received.api_key) == (
        "fms-1",
        fms,
        entry,
        issued.api_key,
    )
    activity = ApiKeyActivity.objects.get()
    assert (activity.action, activity.service_request) == (ApiKeyActivity.Action.POSTED_UPDATE, filed)
    # GET lists it as the client sent it.
    listed = body(client.get(URL.format(fmt="json")))
    assert listed[-1] == body(response)[0]


def test_post_in_xml(client, filed, key):
    response = send(client, key, filed, "FIXED", fmt="xml", description="Done.")
    assert response.status_code == 200
    root = ET.fromstring(response.content.decode().split("?>", 1)[1])  # noqa: S314
    assert root.tag == "service_request_updates"
    [update] = list(root)
    assert [child.tag for child in update] == FIELDS
    assert (update.findtext("status"), update.findtext("description")) == ("FIXED", "Done.")


def test_lower_case_status_and_default_reason(client, filed, key):
    response = send(client, key, filed, "fixed")
    assert response.status_code == 200
    filed.refresh_from_db()
    assert (filed.status, filed.status_notes) == (Status.CLOSED, "Issue Resolved")
    assert body(response)[0]["status"] == "FIXED"


def test_in_progress_when_the_lifecycle_does_not_allow_it_is_a_note(client, filed, key, staff):
    requests_services.change_status(filed, Status.IN_PROGRESS, actor=staff)
    response = send(client, key, filed, "ACTION_SCHEDULED", description="Tuesday.")
    assert response.status_code == 200
    filed.refresh_from_db()
    assert (filed.status, filed.status_notes) == (Status.IN_PROGRESS, "Tuesday.")
    assert filed.history.latest("pk").kind == HistoryEntry.Kind.NOTE

    requests_services.change_status(filed, Status.CLOSED, actor=staff, public_reason="Issue Resolved")
    response = send(client, key, filed, "INVESTIGATING", update_id="fms-2", description="Checking.")
    assert response.status_code == 200
    filed.refresh_from_db()
    assert (filed.status, filed.status_notes) == (Status.CLOSED, "Issue Resolved")


def test_reopen_a_closed_request(client, filed, key, staff):
    requests_services.change_status(filed, Status.CLOSED, actor=staff, public_reason="Issue Resolved")
    response = send(client, key, filed, "REOPEN", description="It is back.")
    assert response.status_code == 200
    filed.refresh_from_db()
    assert (filed.status, filed.closed_at) == (Status.REOPENED, None)
    assert body(response)[0]["status"] == "REOPEN"


@pytest.mark.parametrize(
    ("before", "fms"),
    [
        (None, "REOPEN"),
        (Status.CLOSED, "FIXED"),
        (Status.REFERRED, "CANCELLED"),
        (Status.CANCELLED, "REOPEN"),
    ],
)
def test_an_illegal_transition_is_400_and_writes_nothing(client, filed, key, staff, before, fms):
    if before is not None:
        requests_services.change_status(filed, before, actor=staff, public_reason="Why.")
    snapshot = counts()
    response = send(client, key, filed, fms, description="Try.")
    assert_error(response, 400, r"^status: A request that is “.*” cannot become “.*”")
    assert counts() == snapshot


def test_a_repeated_update_id_is_refused(client, filed, key, service):
    assert send(client, key, filed, "OPEN", description="One.").status_code == 200
    other = filed_request(service)
    snapshot = counts()
    again = send(client, key, filed, "FIXED", description="Two.")
    assert_error(again, 400, r"^update_id: .*“fms-1” already exists")
    assert_error(send(client, key, other, "OPEN", description="Three."), 400, "already exists")
    assert counts()[:3] == snapshot[:3]
    filed.refresh_from_db()
    assert filed.status == Status.NEW


def test_media_url_is_kept_and_listed(client, filed, key):
    response = send(client, key, filed, "OPEN", description="Photo.", media_url="https://fms.example.org/p/1.jpg")
    assert body(response)[0]["media_url"] == "https://fms.example.org/p/1.jpg"
    assert body(client.get(URL.format(fmt="json")))[0]["media_url"] == "https://fms.example.org/p/1.jpg"


def test_a_note_without_description_gets_a_default_text(client, filed, key):
    response = send(client, key, filed, "DUPLICATE")
    assert response.status_code == 200
    assert body(response)[0]["description"] == "Reported as a duplicate."


# --- POST: errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "pattern"),
    [
        ({"status": "DONE"}, r"^status: The status must be one of OPEN, "),
        ({"status": ""}, r"^status: "),
        ({"update_id": ""}, r"^update_id: "),
        ({"update_id": "u" * 101}, r"^update_id: .*100"),
        ({"service_request_id": "99999999"}, r"^service_request_id: There is no request 99999999"),
        ({"service_request_id": ""}, r"^service_request_id: "),
        ({"description": "d" * 4001}, r"^description: .*4000"),
        ({"media_url": "ftp://x"}, r"^media_url: "),
        ({"updated_datetime": "last tuesday"}, r"^updated_datetime must be"),
        ({"description": "a\x00b"}, r"NUL"),
    ],
)
def test_bad_updates_are_400_and_write_nothing(client, filed, key, fields, pattern):
    snapshot = counts()
    assert_error(send(client, key, filed, **{"status": "OPEN", **fields}), 400, pattern)
    assert counts()[:3] == snapshot[:3]


def test_updates_to_a_private_request_are_refused(client, filed, key, staff):
    requests_services.update_details(filed, {"is_private": True}, actor=staff)
    snapshot = counts()
    assert_error(send(client, key, filed, "FIXED", description="x"), 400, "^service_request_id: There is no request")
    assert counts()[:3] == snapshot[:3]


def test_post_needs_a_valid_key(client, filed, issued):
    data = {"service_request_id": filed.tracking_number, "update_id": "u", "status": "OPEN", "description": "x"}
    assert_error(client.post(URL.format(fmt="json"), data), 403, "api_key is required")
    assert_error(client.post(URL.format(fmt="json"), {**data, "api_key": "wrong"}), 403, "not valid")
    open311.revoke_key(issued.api_key)
    assert_error(client.post(URL.format(fmt="json"), {**data, "api_key": issued.key}), 403, "revoked")
    assert ReceivedUpdate.objects.count() == 0


def test_post_is_rate_limited(client, filed, jurisdiction):
    limited = open311.issue_api_key(jurisdiction, "Slow", requests_per_minute=1)
    assert send(client, limited.key, filed, "OPEN", description="a").status_code == 200
    refused = send(client, limited.key, filed, "OPEN", update_id="fms-2", description="b")
    assert_error(refused, 429, "Too many requests")
    assert int(refused["Retry-After"]) >= 1
    assert ReceivedUpdate.objects.count() == 1


def test_a_race_on_the_same_update_id_is_refused(filed, issued, jurisdiction, monkeypatch):
    """Two workers passed the check at once: the unique constraint stops the second and nothing of it stays."""
    from django.core.exceptions import ValidationError

    open311.post_update(
        jurisdiction,
        issued.api_key,
        open311.IncomingUpdate(
            service_request_id=filed.tracking_number, update_id="race", status="FIXED", description="Done."
        ),
    )
    original = open311.check_update

    def check_without_looking_for_duplicates(*args):
        with monkeypatch.context() as patched:
            patched.setattr(open311, "_already_received", lambda *args: False)
            return original(*args)

    monkeypatch.setattr(open311, "check_update", check_without_looking_for_duplicates)
    snapshot = counts()
    with pytest.raises(ValidationError, match="already exists"):
        open311.post_update(
            jurisdiction,
            issued.api_key,
            open311.IncomingUpdate(
                service_request_id=filed.tracking_number, update_id="race", status="OPEN", description="Again."
            ),
        )
    assert counts() == snapshot
