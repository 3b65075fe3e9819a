"""Department work (issue 4): transfers, follow-ons, merged duplicates, residents following up."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.signing import dumps
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from civic311.notifications import services as notifications
from civic311.notifications.models import Subscription
from civic311.service_requests import services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Contact, HistoryEntry, ServiceRequest

from .factories import DepartmentFactory, JurisdictionFactory, ServiceFactory, StaffFactory, filed_request

pytestmark = pytest.mark.django_db

Kind = HistoryEntry.Kind


@pytest.fixture
def filed(service, center_city):
    return filed_request(service, first_name="Pat", email="pat@example.org")


def _elsewhere():
    return DepartmentFactory(
        jurisdiction=JurisdictionFactory(slug="pittsburgh", jurisdiction_id="pgh.gov", is_default=False)
    )


@pytest.fixture
def water(jurisdiction):
    return DepartmentFactory(jurisdiction=jurisdiction, slug="water", name="Water Department")


def _snapshot(service_request: ServiceRequest) -> tuple:
    service_request.refresh_from_db()
    return (
        service_request.status,
        service_request.department_id,
        service_request.assignee_id,
        service_request.updated_at,
        service_request.history.count(),
    )


# --- transfer -------------------------------------------------------------------------------------


def test_transfer_moves_the_request_clears_the_assignee_and_keeps_the_due_date(filed, water, staff):
    filed = services.change_status(filed, Status.ASSIGNED, actor=staff, assignee=staff)
    due = filed.expected_at
    later = timezone.now() + dt.timedelta(hours=1)
    moved = services.transfer(filed, water, actor=staff, reason="Broken main, not dumping", now=later)
    moved.refresh_from_db()
    assert moved.department == water
    assert moved.assignee is None
    assert moved.expected_at == due
    assert moved.updated_at == later
    internal, public = moved.history.filter(kind=Kind.TRANSFERRED).order_by("pk")
    assert not internal.is_public and "Broken main, not dumping" in internal.text
    assert "Streets Department" in internal.text and internal.actor == staff
    assert public.is_public and public.text == "Transferred to Water Department."
    assert "Broken main" not in public.text


@pytest.mark.parametrize("case", ["same", "other_city", "closed", "no_reason", "nul_reason"])
def test_refused_transfers_write_nothing(filed, water, staff, case):
    target, reason = water, "Their job"
    if case == "same":
        target = filed.department
    elif case == "other_city":
        target = _elsewhere()
    elif case == "closed":
        filed = services.change_status(filed, Status.CLOSED, actor=staff, public_reason="Issue Resolved")
    elif case == "no_reason":
        reason = "   "
    else:
        reason = "bad\x00"
    before = _snapshot(filed)
    with pytest.raises(ValidationError) as error:
        services.transfer(filed, target, actor=staff, reason=reason)
    expected = {
        "same": "department",
        "other_city": "department",
        "closed": "status",
        "no_reason": "reason",
        "nul_reason": "reason",
    }[case]
    assert expected in error.value.message_dict
    assert _snapshot(filed) == before


# --- merge_duplicate --------------------------------------------------------------------------------


def _active(service_request, email):
    subscription = notifications.subscribe(service_request, email)
    Subscription.objects.filter(pk=subscription.pk).update(state=Subscription.State.ACTIVE)
    return subscription


def test_merge_marks_the_duplicate_and_moves_its_followers(
    service, center_city, staff, django_capture_on_commit_callbacks
):
    original = filed_request(service, email="first@example.org", description="Tires in the alley")
    duplicate = filed_request(service, email="second@example.org", description="Old tires dumped")
    moving = _active(duplicate, "neighbor@example.org")
    _active(duplicate, "both@example.org")
    _active(original, "both@example.org")
    pending = notifications.subscribe(duplicate, "pending@example.org")

    with django_capture_on_commit_callbacks(execute=True):  # the announcer moves the followers
        merged = services.merge_duplicate(duplicate, original, actor=staff)

    assert merged.status == Status.DUPLICATE and merged.duplicate_of == original
    moving.refresh_from_db()
    assert moving.service_request == original and moving.state == Subscription.State.ACTIVE
    assert Subscription.objects.filter(service_request=original, email="both@example.org").count() == 1
    assert Subscription.objects.filter(service_request=duplicate, email="both@example.org").exists()
    pending.refresh_from_db()
    assert pending.service_request == duplicate  # not confirmed: not moved
    # The duplicate's requester is asked to follow the original (double opt-in, through the service).
    requester_sub = Subscription.objects.get(service_request=original, email="second@example.org")
    assert requester_sub.state == Subscription.State.PENDING
    note = original.history.get(kind=Kind.NOTE)
    assert not note.is_public
    assert note.text == f"Merged request #{duplicate.tracking_number}: Old tires dumped"
    status = duplicate.history.get(kind=Kind.STATUS)
    assert status.is_public and original.tracking_number in status.text


def test_merge_does_not_subscribe_the_requester_twice(service, center_city, staff, django_capture_on_commit_callbacks):
    original = filed_request(service, email="pat@example.org")
    duplicate = filed_request(service, email="PAT@example.org")
    with django_capture_on_commit_callbacks(execute=True):  # the announcer moves the followers
        services.merge_duplicate(duplicate, original, actor=staff)
    assert not Subscription.objects.filter(service_request=original).exists()


def test_merge_into_itself_or_a_finished_request_writes_nothing(service, center_city, staff):
    original = filed_request(service)
    duplicate = filed_request(service, email="second@example.org")
    _active(duplicate, "neighbor@example.org")
    with pytest.raises(ValidationError):
        services.merge_duplicate(duplicate, duplicate, actor=staff)
    closed = services.change_status(filed_request(service), Status.CLOSED, actor=staff, public_reason="Done")
    with pytest.raises(ValidationError):
        services.merge_duplicate(closed, original, actor=staff)
    assert not original.history.filter(kind=Kind.NOTE).exists()
    assert Subscription.objects.filter(service_request=duplicate).count() == 1
    assert not Subscription.objects.filter(service_request=original).exists()


def test_merge_into_a_private_request_moves_no_followers(
    service, center_city, staff, django_capture_on_commit_callbacks
):
    original = filed_request(service, is_private=True)
    duplicate = filed_request(service, email="second@example.org")
    _active(duplicate, "neighbor@example.org")
    with django_capture_on_commit_callbacks(execute=True):  # the announcer moves the followers
        services.merge_duplicate(duplicate, original, actor=staff)
    assert not Subscription.objects.filter(service_request=original).exists()
    assert original.history.filter(kind=Kind.NOTE, is_public=False).exists()


def test_a_status_change_to_duplicate_tells_the_followers_then_gives_them_to_the_original(
    service, center_city, staff, django_capture_on_commit_callbacks
):
    from civic311.notifications.models import OutboundMessage

    original = filed_request(service, email="first@example.org")
    duplicate = filed_request(service, email="second@example.org")
    moving = _active(duplicate, "neighbor@example.org")
    gone = _active(duplicate, "gone@example.org")
    Subscription.objects.filter(pk=gone.pk).update(state=Subscription.State.UNSUBSCRIBED)

    with django_capture_on_commit_callbacks(execute=True):  # not a merge: the plain status change
        services.change_status(duplicate, Status.DUPLICATE, actor=staff, duplicate_of=original)

    entry = duplicate.history.get(kind=Kind.STATUS, to_status=Status.DUPLICATE)
    # Told of the duplicate on the duplicate (before the move), then following the original, still confirmed.
    assert OutboundMessage.objects.filter(
        dedup_key__endswith=f"h{entry.pk}:email:neighbor@example.org", service_request=duplicate
    ).exists()
    moving.refresh_from_db()
    assert (moving.service_request, moving.state) == (original, Subscription.State.ACTIVE)
    # Who unsubscribed stays unsubscribed, where they were; the requester is asked (double opt-in).
    gone.refresh_from_db()
    assert (gone.service_request, gone.state) == (duplicate, Subscription.State.UNSUBSCRIBED)
    assert not OutboundMessage.objects.filter(dedup_key__endswith=f"h{entry.pk}:email:gone@example.org").exists()
    invited = Subscription.objects.get(service_request=original, email="second@example.org")
    assert invited.state == Subscription.State.PENDING


def test_a_requester_address_the_intake_would_refuse_today_does_not_hold_up_the_move(
    service, center_city, staff, django_capture_on_commit_callbacks
):
    from civic311.people.models import Requester
    from civic311.service_requests.models import Announcement

    original = filed_request(service, email="first@example.org")
    duplicate = filed_request(service, email="second@example.org")
    assert duplicate.requester is not None
    Requester.objects.filter(pk=duplicate.requester.pk).update(email="not an address")  # an old imported row
    moving = _active(duplicate, "neighbor@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(duplicate, Status.DUPLICATE, actor=staff, duplicate_of=original)

    moving.refresh_from_db()
    assert moving.service_request == original
    assert not Subscription.objects.filter(service_request=original, email="not an address").exists()
    # Its status entry was announced (no announcement left to retry for ever).
    assert not Announcement.objects.filter(history_entry__to_status=Status.DUPLICATE).exists()


def test_announcing_a_duplicate_entry_again_moves_and_sends_nothing_more(
    service, center_city, staff, django_capture_on_commit_callbacks
):
    from civic311.notifications.models import OutboundMessage

    original = filed_request(service)
    duplicate = filed_request(service, email="second@example.org")
    _active(duplicate, "neighbor@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(duplicate, Status.DUPLICATE, actor=staff, duplicate_of=original)
    entry = duplicate.history.get(kind=Kind.STATUS, to_status=Status.DUPLICATE)
    before = (
        sorted(Subscription.objects.values_list("service_request_id", "email", "state")),
        OutboundMessage.objects.count(),
    )

    notifications.history_recorded(entry)  # a retry after another listener failed

    after = (
        sorted(Subscription.objects.values_list("service_request_id", "email", "state")),
        OutboundMessage.objects.count(),
    )
    assert after == before
    assert notifications.follow_the_original(entry) == 0


def test_followers_announced_late_go_to_the_original_of_a_request_since_marked_a_duplicate(
    service, center_city, staff, django_capture_on_commit_callbacks
):
    """A is marked a duplicate of B, then B of C, and B's entry is announced first (two workers, or A's
    announcement retried): A's followers end up on C, not on B, which nobody hears of again."""
    from civic311.service_requests import announcements

    a, b, c = (filed_request(service) for _ in range(3))
    follower = _active(a, "neighbor@example.org")
    with django_capture_on_commit_callbacks(execute=False):  # their announcements wait
        services.change_status(a, Status.DUPLICATE, actor=staff, duplicate_of=b)
        services.change_status(b, Status.DUPLICATE, actor=staff, duplicate_of=c)
    a_entry, b_entry = (r.history.get(kind=Kind.STATUS, to_status=Status.DUPLICATE) for r in (a, b))

    assert announcements.announce(b_entry.pk) and announcements.announce(a_entry.pk)

    follower.refresh_from_db()
    assert (follower.service_request, follower.state) == (c, Subscription.State.ACTIVE)


# --- follow-on -------------------------------------------------------------------------------------


def test_a_follow_on_is_filed_for_another_department_at_the_same_place(filed, water, staff, jurisdiction):
    hydrant = ServiceFactory(jurisdiction=jurisdiction, department=water, code="SR-WU01", name="Hydrant")
    contacts = Contact.objects.count()
    child = services.create_follow_on(filed, service_code="SR-WU01", description="Hydrant leaking", actor=staff)
    assert child.parent == filed and child.service == hydrant and child.department == water
    assert (child.lat, child.long, child.neighborhood_id) == (filed.lat, filed.long, filed.neighborhood_id)
    assert child.requester is None
    assert Contact.objects.count() == contacts  # staff's own work, not a resident's contact
    assert child.history.get(kind=Kind.OPENED).actor == staff
    entry = filed.history.get(kind=Kind.NOTE)
    assert not entry.is_public and child.tracking_number in entry.text


def test_a_follow_on_may_name_its_department(filed, water, staff, service):
    child = services.create_follow_on(filed, service_code=service.code, description="", actor=staff, department=water)
    assert child.department == water


def test_refused_follow_ons_write_nothing(filed, staff, service, water):
    requests = ServiceRequest.objects.count()
    with pytest.raises(ValidationError) as error:  # same department
        services.create_follow_on(filed, service_code=service.code, description="x", actor=staff)
    assert "service_code" in error.value.message_dict
    with pytest.raises(ValidationError):  # unknown service
        services.create_follow_on(filed, service_code="NOPE", description="x", actor=staff)
    other = _elsewhere()
    with pytest.raises(ValidationError) as error:
        services.create_follow_on(filed, service_code=service.code, description="x", actor=staff, department=other)
    assert "department" in error.value.message_dict
    assert ServiceRequest.objects.count() == requests
    assert not filed.history.filter(kind=Kind.NOTE).exists()


# --- residents following up ---------------------------------------------------------------------------

CLOSED_AT = dt.datetime(2025, 3, 3, 15, tzinfo=dt.UTC)


@pytest.fixture
def closed(filed, staff):
    return services.change_status(filed, Status.CLOSED, actor=staff, public_reason="Issue Resolved", now=CLOSED_AT)


@pytest.mark.parametrize(
    ("after", "allowed"),
    [
        (dt.timedelta(days=1), True),
        (dt.timedelta(days=14), True),  # exactly at the edge
        (dt.timedelta(days=14, seconds=1), False),
    ],
)
def test_the_reopen_window(closed, after, allowed):
    token = services.resident_link_token(closed)
    with time_machine.travel(CLOSED_AT + after, tick=False):
        if allowed:
            reopened = services.resident_reopen(closed, token=token, comment="Still there")
            assert reopened.status == Status.REOPENED
            status = reopened.history.filter(kind=Kind.STATUS).last()
            assert status is not None
            assert status.actor_label == "Resident" and status.is_public and "Still there" not in status.text
            note = reopened.history.filter(kind=Kind.NOTE).last()
            assert note is not None
            assert not note.is_public and "Still there" in note.text and note.who == "Resident"
        else:
            with pytest.raises(ValidationError) as error:
                services.resident_reopen(closed, token=token, comment="Still there")
            assert "14 days" in error.value.message_dict["comment"][0]
            closed.refresh_from_db()
            assert closed.status == Status.CLOSED


@override_settings(CIVIC311_RESIDENT_REOPEN_DAYS=2)
def test_the_window_is_a_setting(closed):
    with time_machine.travel(CLOSED_AT + dt.timedelta(days=3), tick=False), pytest.raises(ValidationError):
        services.resident_reopen(closed, token=services.resident_link_token(closed), comment="x")


def test_only_closed_requests_are_reopened_by_residents(service, center_city, staff):
    original = filed_request(service)
    duplicate = filed_request(service, email="pat@example.org")
    services.change_status(duplicate, Status.DUPLICATE, actor=staff, duplicate_of=original)
    with pytest.raises(ValidationError) as error:
        services.resident_reopen(duplicate, token=services.resident_link_token(duplicate), comment="x")
    assert "status" in error.value.message_dict


def _forged(closed):
    return [
        "",
        "nonsense",
        services.resident_link_token(closed) + "x",
        dumps({"r": closed.pk, "q": closed.requester_id}, salt="civic311.notifications.subscription"),
        dumps({"r": closed.pk + 1, "q": closed.requester_id}, salt=services.RESIDENT_SALT),
        notifications.make_token("unsub", r=closed.pk),
    ]


def test_bad_and_forged_tokens_are_refused(closed, service):
    before = _snapshot(closed)
    for token in [*_forged(closed), services.resident_link_token(filed_request(service, email="x@example.org"))]:
        with pytest.raises(ValidationError) as error:
            services.resident_reopen(closed, token=token, comment="x")
        assert "token" in error.value.message_dict
        with pytest.raises(ValidationError):
            services.resident_comment(closed, token=token, comment="x")
    assert _snapshot(closed) == before


def test_a_request_without_a_requester_has_no_resident_link(service, center_city):
    anonymous = filed_request(service)
    assert not services.resident_token_is_valid(anonymous, services.resident_link_token(anonymous))


def test_residents_comment_internally_within_the_window(closed):
    token = services.resident_link_token(closed)
    with time_machine.travel(CLOSED_AT + dt.timedelta(days=3), tick=False):
        entry = services.resident_comment(closed, token=token, comment="Thanks!")
    assert not entry.is_public and entry.actor_label == "Resident" and "Thanks!" in entry.text
    with time_machine.travel(CLOSED_AT + dt.timedelta(days=15), tick=False), pytest.raises(ValidationError):
        services.resident_comment(closed, token=token, comment="Late")
    with pytest.raises(ValidationError) as error:
        services.resident_comment(closed, token=token, comment="  ")
    assert "comment" in error.value.message_dict


# --- the public follow-up page ---------------------------------------------------------------------------


def _urls(service_request, token):
    number = service_request.tracking_number
    return (
        reverse("public:track_request", args=[number]) + f"?t={token}",
        reverse("public:resident_followup", args=[number]) + f"?t={token}",
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_follow_up_page_renders_in_each_language(client, closed, language):
    token = services.resident_link_token(closed)
    track, followup = _urls(closed, token)
    client.cookies["django_language"] = language
    with time_machine.travel(CLOSED_AT + dt.timedelta(days=1), tick=False):
        page = client.get(track)
        assert page.status_code == 200 and 'id="resident-followup"' in page.content.decode()
        response = client.get(followup)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}" dir="ltr">' in html
    assert 'name="comment"' in html and 'value="reopen"' in html


def test_the_track_page_offers_follow_up_only_with_a_valid_token(client, closed):
    track, _followup = _urls(closed, "forged")
    assert 'id="resident-followup"' not in client.get(track).content.decode()
    plain = reverse("public:track_request", args=[closed.tracking_number])
    assert 'id="resident-followup"' not in client.get(plain).content.decode()


def test_a_forged_link_gets_no_form(client, closed):
    for token in _forged(closed):
        _track, followup = _urls(closed, token)
        response = client.get(followup)
        assert response.status_code == 403 and 'name="comment"' not in response.content.decode()
        response = client.post(
            reverse("public:resident_followup", args=[closed.tracking_number]),
            {"t": token, "comment": "x", "action": "reopen"},
        )
        assert response.status_code == 403
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED


def test_a_resident_reopens_through_the_page(client, closed):
    token = services.resident_link_token(closed)
    url = reverse("public:resident_followup", args=[closed.tracking_number])
    with time_machine.travel(CLOSED_AT + dt.timedelta(days=2), tick=False):
        response = client.post(url, {"t": token, "comment": "Still there", "action": "reopen"}, follow=True)
    assert response.status_code == 200
    assert "Your request is open again" in response.content.decode()
    closed.refresh_from_db()
    assert closed.status == Status.REOPENED


def test_outside_the_window_the_page_says_so(client, closed):
    token = services.resident_link_token(closed)
    _track, followup = _urls(closed, token)
    with time_machine.travel(CLOSED_AT + dt.timedelta(days=20), tick=False):
        html = client.get(followup).content.decode()
        assert "within 14 days" in html and 'name="comment"' not in html
        response = client.post(followup.split("?")[0], {"t": token, "comment": "x", "action": "comment"})
    assert response.status_code == 400 and "within 14 days" in response.content.decode()


# --- the admin ---------------------------------------------------------------------------------------------


@pytest.fixture
def root_client(client):
    client.force_login(StaffFactory(username="root", is_superuser=True))
    return client


def _admin(name, service_request):
    return reverse(f"admin:requests_servicerequest_{name}", args=[service_request.pk])


def test_the_change_page_links_the_operations(root_client, filed):
    html = root_client.get(reverse("admin:requests_servicerequest_change", args=[filed.pk])).content.decode()
    for name in ("transfer", "follow_on", "merge"):
        assert _admin(name, filed) in html
        assert root_client.get(_admin(name, filed)).status_code == 200


def test_the_admin_transfers(root_client, filed, water):
    response = root_client.post(_admin("transfer", filed), {"department": water.pk, "reason": "Water main"})
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.department == water
    response = root_client.post(_admin("transfer", filed), {"department": water.pk, "reason": ""})
    assert response.status_code == 200 and "errornote" in response.content.decode()


def test_the_admin_files_a_follow_on(root_client, filed, water, jurisdiction):
    hydrant = ServiceFactory(jurisdiction=jurisdiction, department=water)
    response = root_client.post(_admin("follow_on", filed), {"service": hydrant.pk, "description": "Leak"})
    assert response.status_code == 302
    assert filed.children.get().service == hydrant
    response = root_client.post(_admin("follow_on", filed), {"service": filed.service.pk, "description": "x"})
    assert response.status_code == 200 and "another department" in response.content.decode()


def test_the_admin_merges(root_client, filed, service):
    original = filed_request(service)
    response = root_client.post(_admin("merge", filed), {"original": "999999", "public_reason": ""})
    assert response.status_code == 200 and "no request with that tracking number" in response.content.decode()
    response = root_client.post(
        _admin("merge", filed), {"original": f"#{original.tracking_number}", "public_reason": ""}
    )
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.status == Status.DUPLICATE and filed.duplicate_of == original
