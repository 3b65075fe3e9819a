"""The department work pages over HTTP: who may open them, the forms, refusals and live updates."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, Photo, ServiceRequest
from civic311.work.models import ResponseTemplate, SavedView

from .roles_helpers import STAFF_ROLES
from .work_helpers import ROLE_USERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def pothole(world):
    return world.file(world.pothole, description="Deep hole", first_name="Pat", email="pat@example.org")


def _client(client, user):
    client.force_login(user)
    return client


def _get_views(number: str) -> list[str]:
    return [
        reverse("work:home"),
        reverse("work:live"),
        reverse("work:request", args=[number]),
        reverse("work:request_live", args=[number]),
    ]


def _post_views(number: str, view_pk: int) -> list[tuple[str, dict]]:
    return [
        (reverse("work:bulk"), {"bulk-action": "note", "bulk-text": "Hello", "requests": []}),
        (reverse("work:save_view"), {"view-name": "Mine", "view-query": ""}),
        (reverse("work:delete_view", args=[view_pk]), {}),
        (reverse("work:assign", args=[number]), {"assign-assignee": ""}),
        (reverse("work:change_status", args=[number]), {"status-to_status": "acknowledged"}),
        (reverse("work:add_note", args=[number]), {"note-text": "A note"}),
        (reverse("work:transfer", args=[number]), {"transfer-department": "", "transfer-reason": ""}),
        (reverse("work:follow_on", args=[number]), {"follow-service": "", "follow-description": ""}),
        (reverse("work:merge", args=[number]), {"merge-original": "1"}),
        (reverse("work:add_photo", args=[number]), {"photo-stage": "after"}),
    ]


def test_every_staff_role_is_covered():
    assert set(ROLE_USERS) == set(STAFF_ROLES)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_role_against_every_work_page(client, world, pothole, role):
    key, allowed = ROLE_USERS[role]
    user = world.people[key]
    view = SavedView.objects.create(owner=user, name="Own")
    _client(client, user)
    for url in _get_views(pothole.tracking_number):
        response = client.get(url)
        if allowed:
            assert response.status_code in (200, 204), url
        else:
            assert response.status_code == 403, url
    for url, data in _post_views(pothole.tracking_number, view.pk):
        response = client.post(url, data)
        if allowed:
            assert response.status_code in (302, 400), (url, response.status_code)
        else:
            assert response.status_code == 403, url


def test_staff_without_a_role_and_anonymous_visitors(client, world, pothole):
    for url in _get_views(pothole.tracking_number):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url
    for url, data in _post_views(pothole.tracking_number, 1):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url
    _client(client, world.no_role)
    assert client.get(reverse("work:home")).status_code == 403


def test_another_departments_request_is_not_found_and_cannot_be_changed(client, world):
    leak = world.file(world.leak)
    before = (leak.status, leak.updated_at, leak.history.count())
    _client(client, world.streets_worker)
    for url in _get_views(leak.tracking_number)[2:]:
        assert client.get(url).status_code == 404
    for url, data in _post_views(leak.tracking_number, 1)[3:]:
        assert client.post(url, data).status_code == 404, url
    leak.refresh_from_db()
    assert (leak.status, leak.updated_at, leak.history.count()) == before
    assert leak.tracking_number not in client.get(reverse("work:home")).content.decode()


def test_the_queue_page_lists_filters_and_shows_the_due_date_in_the_citys_zone(client, world, pothole):
    # Due at 17:00 Philadelphia time (22:00 UTC in winter).
    due = dt.datetime(2030, 1, 15, 22, 0, tzinfo=dt.UTC)
    ServiceRequest.objects.filter(pk=pothole.pk).update(expected_at=due)
    leak = world.file(world.leak)
    _client(client, world.streets_worker)
    page = client.get(reverse("work:home")).content.decode()
    assert f"#{pothole.tracking_number}" in page and f"#{leak.tracking_number}" not in page
    assert "01/15/2030 5 p.m." in page
    assert 'datetime="2030-01-15T17:00:00-05:00"' in page
    assert "On time" in page
    assert 'style="' not in page and "<script>" not in page and "onclick" not in page
    filtered = client.get(reverse("work:home"), {"q": "nothing matches this"}).content.decode()
    assert "No requests match these filters." in filtered


def test_a_bad_filter_is_reported_not_widened(client, world, pothole):
    world.file(world.leak)
    _client(client, world.streets_worker)
    response = client.get(reverse("work:home"), {"department": str(world.water.pk), "sort": "evil"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in page
    assert f"#{pothole.tracking_number}" in page  # the department filter was dropped back to "my departments"


def test_the_request_page_shows_history_marked_and_the_requester_only_to_the_assignee(client, world, pothole):
    requests.add_note(pothole, "Internal remark", actor=world.streets_worker, public=False)
    requests.add_note(pothole, "Public remark", actor=world.streets_worker, public=True)
    _client(client, world.streets_worker)
    page = client.get(reverse("work:request", args=[pothole.tracking_number])).content.decode()
    assert "Internal remark" in page and "Public remark" in page
    assert "Internal</span>" in page and "Public</span>" in page
    assert "pat@example.org" not in page
    requests.assign(pothole, world.streets_worker, actor=world.streets_manager)
    page = client.get(reverse("work:request", args=[pothole.tracking_number])).content.decode()
    assert "pat@example.org" in page
    assert 'style="' not in page and "<script>" not in page


def test_assign_close_with_a_reason_and_reopen(client, world, pothole):
    _client(client, world.streets_worker)
    number = pothole.tracking_number
    response = client.post(reverse("work:assign", args=[number]), {"assign-assignee": world.streets_worker.pk})
    assert response.status_code == 302 and response["Location"] == reverse("work:request", args=[number])
    pothole.refresh_from_db()
    assert pothole.assignee == world.streets_worker
    # Closing without a reason: the service's message on the form, nothing written.
    response = client.post(reverse("work:change_status", args=[number]), {"status-to_status": "closed"})
    assert response.status_code == 400
    assert "Give the reason the resident will see." in response.content.decode()
    pothole.refresh_from_db()
    assert pothole.status == Status.ASSIGNED
    client.post(
        reverse("work:change_status", args=[number]),
        {"status-to_status": "closed", "status-public_reason": "Repair Completed"},
    )
    pothole.refresh_from_db()
    assert (pothole.status, pothole.status_notes) == (Status.CLOSED, "Repair Completed")
    page = client.get(reverse("work:request", args=[number])).content.decode()
    assert "Reopen" in page
    client.post(
        reverse("work:change_status", args=[number]),
        {"status-to_status": "reopened", "status-public_reason": "Came back"},
    )
    pothole.refresh_from_db()
    assert pothole.status == Status.REOPENED


def test_a_note_from_a_response_template(client, world, pothole):
    template = ResponseTemplate.objects.create(
        jurisdiction=world.jurisdiction,
        department=world.streets,
        title="Crew scheduled",
        body="A crew will fix #{tracking_number}.",
    )
    ResponseTemplate.objects.create(
        jurisdiction=world.jurisdiction, department=world.water, title="Leak only", body="x"
    )
    _client(client, world.streets_worker)
    number = pothole.tracking_number
    page = client.get(reverse("work:request", args=[number]), {"template": template.pk}).content.decode()
    assert "Leak only" not in page
    assert f"A crew will fix #{number}.</textarea>" in page  # prefilled without JavaScript
    response = client.post(
        reverse("work:add_note", args=[number]), {"note-text": f"A crew will fix #{number}.", "note-public": "on"}
    )
    assert response.status_code == 302
    note = pothole.history.get(kind=HistoryEntry.Kind.NOTE)
    assert note.is_public and note.text == f"A crew will fix #{number}."
    response = client.post(reverse("work:add_note", args=[number]), {"note-text": "  "})
    assert response.status_code == 400 and "Write the note." in response.content.decode()


def test_transfer_sends_the_worker_back_to_the_queue(client, world, pothole):
    _client(client, world.streets_worker)
    number = pothole.tracking_number
    response = client.post(reverse("work:transfer", args=[number]), {"transfer-department": world.water.pk})
    assert response.status_code == 400 and "Say why the request is transferred." in response.content.decode()
    response = client.post(
        reverse("work:transfer", args=[number]),
        {"transfer-department": world.water.pk, "transfer-reason": "A water main"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("work:home")
    pothole.refresh_from_db()
    assert pothole.department == world.water
    assert client.get(reverse("work:request", args=[number])).status_code == 404


def test_follow_on_and_merge(client, world, pothole):
    _client(client, world.streets_worker)
    number = pothole.tracking_number
    response = client.post(
        reverse("work:follow_on", args=[number]),
        {"follow-service": world.leak.pk, "follow-description": "Water pooling"},
    )
    assert response.status_code == 302
    child = ServiceRequest.objects.get(parent=pothole)
    assert child.department == world.water
    other = world.file(world.pothole)
    response = client.post(reverse("work:merge", args=[other.tracking_number]), {"merge-original": "000"})
    assert response.status_code == 400 and "There is no request with the tracking number" in response.content.decode()
    response = client.post(reverse("work:merge", args=[other.tracking_number]), {"merge-original": number})
    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.status, other.duplicate_of) == (Status.DUPLICATE, pothole)


def test_photo_upload(client, world, pothole):
    out = io.BytesIO()
    Image.new("RGB", (30, 20)).save(out, format="PNG")
    _client(client, world.streets_worker)
    url = reverse("work:add_photo", args=[pothole.tracking_number])
    response = client.post(
        url,
        {
            "photo-stage": "after",
            "photo-public": "on",
            "photo-photo": SimpleUploadedFile("a.png", out.getvalue(), "image/png"),
        },
    )
    assert response.status_code == 302
    assert Photo.objects.get().stage == "after"
    response = client.post(
        url, {"photo-stage": "after", "photo-photo": SimpleUploadedFile("a.png", b"nope", "image/png")}
    )
    assert response.status_code == 400 and "is not a photo we can read" in response.content.decode()


def test_bulk_over_http_reports_each_refusal_and_changes_nothing(client, world, pothole):
    closed = world.file(world.pothole)
    requests.change_status(closed, Status.CLOSED, actor=world.streets_worker, public_reason="Done")
    _client(client, world.streets_worker)
    response = client.post(
        reverse("work:bulk"),
        {
            "bulk-action": "status",
            "bulk-to_status": "on_hold",
            "requests": [pothole.pk, closed.pk],
            "query": "sla=overdue",
        },
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[0][0] == reverse("work:home") + "?sla=overdue"
    assert "Nothing was changed: 1 of the chosen requests were refused." in page
    assert f"#{closed.tracking_number}: A request that is" in page
    pothole.refresh_from_db()
    assert pothole.status == Status.NEW
    response = client.post(
        reverse("work:bulk"),
        {"bulk-action": "assign", "bulk-assignee": world.streets_worker.pk, "requests": [pothole.pk]},
        follow=True,
    )
    assert "1 request changed." in response.content.decode()
    pothole.refresh_from_db()
    assert pothole.assignee == world.streets_worker
    response = client.post(reverse("work:bulk"), {"bulk-action": "teleport", "requests": [pothole.pk]}, follow=True)
    assert "Select a valid choice" in response.content.decode()


def test_save_and_delete_a_view_over_http(client, world):
    _client(client, world.streets_worker)
    response = client.post(
        reverse("work:save_view"),
        {"view-name": "Overdue", "view-query": "sla=overdue&x=1", "view-department": world.streets.pk},
    )
    assert response.status_code == 302 and response["Location"] == reverse("work:home") + "?sla=overdue"
    view = SavedView.objects.get()
    _client(client, world.streets_colleague)
    assert "Overdue" in client.get(reverse("work:home")).content.decode()
    assert client.post(reverse("work:delete_view", args=[view.pk])).status_code == 403
    _client(client, world.water_worker)
    assert client.post(reverse("work:delete_view", args=[view.pk])).status_code == 404
    _client(client, world.streets_worker)
    assert client.post(reverse("work:delete_view", args=[view.pk])).status_code == 302
    assert not SavedView.objects.exists()


# --- live updates ---------------------------------------------------------------------------------------


def _poll_url(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*hx-get="([^"]+)"', page)
    assert match, element_id
    return match.group(1).replace("&amp;", "&")


def test_the_queue_poll_answers_204_until_someone_else_changes_a_request(client, world, pothole):
    _client(client, world.streets_worker)
    page = client.get(reverse("work:home"), {"assignee": "unassigned"}).content.decode()
    poll = _poll_url(page, "queue-results")
    assert 'hx-trigger="every 10s"' in page
    assert client.get(poll).status_code == 204
    requests.add_note(
        world.file(world.leak),
        "Elsewhere",
        actor=world.water_worker,
        public=False,
        now=pothole.updated_at + dt.timedelta(seconds=5),
    )
    assert client.get(poll).status_code == 204  # another department's change
    requests.assign(
        pothole,
        world.streets_colleague,
        actor=world.streets_colleague,
        now=pothole.updated_at + dt.timedelta(seconds=5),
    )
    response = client.get(poll)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.startswith('<div id="queue-results"') and "<html" not in fragment
    assert f"#{pothole.tracking_number}" not in fragment  # no longer unassigned
    assert client.get(_poll_url(fragment, "queue-results")).status_code == 204


def test_the_request_poll_answers_204_until_the_request_changes(client, world, pothole):
    _client(client, world.streets_worker)
    page = client.get(reverse("work:request", args=[pothole.tracking_number])).content.decode()
    poll = _poll_url(page, "request-live")
    assert client.get(poll).status_code == 204
    requests.add_note(pothole, "Crew on site", actor=world.streets_colleague, public=False)
    response = client.get(poll)
    fragment = response.content.decode()
    assert response.status_code == 200 and "Crew on site" in fragment
    assert "Someone else changed this request" in fragment
    assert client.get(_poll_url(fragment, "request-live")).status_code == 204
