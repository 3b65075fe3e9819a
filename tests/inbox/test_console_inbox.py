"""The inbox in the console: the list (order, filters, live version, counts), who may open it and hand items
on, the item's actions through the views, and filing a request from an e-mail and from a post."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from civic311.inbox import selectors
from civic311.inbox import services as inbox
from civic311.inbox.models import InboxItem, InboxMessage
from civic311.inbox.services import Incoming, IncomingFile
from civic311.notifications.models import OutboundMessage
from civic311.people.models import StaffRole, Team
from civic311.service_requests.models import Contact, ServiceRequest
from civic311.social.models import OutboundPost

from ..factories import DepartmentFactory, JurisdictionFactory, StaffFactory, filed_request, jpeg, staff_in_role
from ..knowledge_helpers import editor, write_article

NOW = dt.datetime(2025, 3, 4, 15, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def email_item(jurisdiction, mailbox, *, at=NOW, subject="Pothole on Main St", body="A deep pothole.", **extra):
    incoming = Incoming(
        channel="email",
        external_id=f"<m{next(_ids)}@example.org>",
        sender=extra.pop("sender", "rosa@example.org"),
        sender_name=extra.pop("sender_name", "Rosa Marquez"),
        subject=subject,
        body=body,
        mailbox=mailbox,
        **extra,
    )
    return inbox.receive(jurisdiction, incoming, now=at).item


def post_item(jurisdiction, source, *, at=NOW, body="Trash piled up at City Hall #philly311"):
    uri = f"https://example.social/@ana/{next(_ids)}"
    incoming = Incoming(
        channel="social",
        external_id=uri,
        sender="@ana@example.social",
        sender_name="Ana",
        body=body,
        network="mastodon",
        link=uri,
        lat=39.9526,
        long=-75.1635,
        media_urls=["https://example.social/media/1.jpg"],
        source=source,
    )
    return inbox.receive(jurisdiction, incoming, now=at).item


def no_due(item: InboxItem, received: dt.datetime) -> InboxItem:
    InboxItem.objects.filter(pk=item.pk).update(response_due_at=None, last_message_at=received)
    item.refresh_from_db()
    return item


@pytest.fixture
def supervisor(db):
    return staff_in_role(StaffRole.SUPERVISOR, username="sasha")


@pytest.fixture
def other_agent(db):
    return staff_in_role(StaffRole.AGENT, username="blair")


@pytest.fixture
def team(jurisdiction):
    return Team.objects.create(jurisdiction=jurisdiction, name="Social media team")


# --- the list ------------------------------------------------------------------------------------------------------


def test_the_list_puts_overdue_first_then_the_soonest_due_then_the_rest_newest_first(jurisdiction, mailbox, agent):
    # E-mail's target: 24 h. Received 30 h ago: 6 h overdue; 26 h ago: 2 h overdue; 1 h ago: due in 23 h.
    very_late = email_item(jurisdiction, mailbox, at=NOW - dt.timedelta(hours=30), sender="a@example.org")
    late = email_item(jurisdiction, mailbox, at=NOW - dt.timedelta(hours=26), sender="b@example.org")
    soon = email_item(jurisdiction, mailbox, at=NOW - dt.timedelta(hours=1), sender="c@example.org")
    older_nothing_due = no_due(email_item(jurisdiction, mailbox, sender="d@example.org"), NOW - dt.timedelta(hours=5))
    newer_nothing_due = no_due(email_item(jurisdiction, mailbox, sender="e@example.org"), NOW - dt.timedelta(hours=2))
    items = selectors.inbox(agent, jurisdiction, now=NOW)
    assert [item.pk for item in items] == [
        very_late.pk,
        late.pk,
        soon.pk,
        newer_nothing_due.pk,
        older_nothing_due.pk,
    ]
    assert [item.overdue for item in items] == [True, True, False, False, False]  # type: ignore[attr-defined]
    assert items[0].first_words == "Pothole on Main St"  # type: ignore[attr-defined]


def test_the_filters(jurisdiction, mailbox, webhook_source, agent, team):
    mail = email_item(jurisdiction, mailbox, at=NOW - dt.timedelta(hours=30))
    post = post_item(jurisdiction, webhook_source, at=NOW - dt.timedelta(minutes=10))
    done = email_item(jurisdiction, mailbox, sender="z@example.org")
    inbox.take(mail, agent=agent, now=NOW)
    inbox.assign(post, actor=agent, team=team, now=NOW)
    inbox.set_status(done, "done", agent=agent, now=NOW)

    def pks(**filters):
        return {item.pk for item in selectors.inbox(agent, jurisdiction, selectors.InboxFilters(**filters), now=NOW)}

    assert pks() == {mail.pk, post.pk}  # open by default
    assert pks(status="all") == {mail.pk, post.pk, done.pk}
    assert pks(status="done") == {done.pk}
    assert pks(channel="social") == {post.pk}
    assert pks(assigned="me") == {mail.pk}
    assert pks(team_id=team.pk) == {post.pk}
    assert pks(overdue_only=True) == {mail.pk}
    done_item = InboxItem.objects.get(pk=done.pk)
    inbox.assign(done_item, actor=agent, now=NOW)
    assert pks(status="all", assigned="unassigned") == {done.pk}


def test_the_filters_through_the_page(client, jurisdiction, mailbox, webhook_source, agent):
    email_item(jurisdiction, mailbox, subject="About the e-mail")
    post_item(jurisdiction, webhook_source, body="About the post")
    client.force_login(agent)
    page = client.get(reverse("console:inbox"), {"channel": "social"}).content.decode()
    assert "About the post" in page and "About the e-mail" not in page
    # Nonsense filters fall back to the default list, never an error.
    page = client.get(reverse("console:inbox"), {"channel": "fax", "assigned": "team-x"}).content.decode()
    assert "About the post" in page and "About the e-mail" in page


def test_the_live_version_changes_when_an_item_of_the_list_changes(client, jurisdiction, mailbox, agent):
    item = email_item(jurisdiction, mailbox)
    version = selectors.inbox_version(agent, jurisdiction)
    assert selectors.inbox_version(agent, jurisdiction) == version
    client.force_login(agent)
    live = reverse("console:inbox_live")
    assert client.get(live, {"version": version}, HTTP_HX_REQUEST="true").status_code == 204
    inbox.take(item, agent=agent, now=timezone.now() + dt.timedelta(seconds=1))
    changed = selectors.inbox_version(agent, jurisdiction)
    assert changed != version
    response = client.get(live, {"version": version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="status"' in body and "The inbox was updated." in body
    assert 'hx-trigger="every 10s"' in body
    # A new item changes it too.
    email_item(jurisdiction, mailbox, sender="new@example.org")
    assert selectors.inbox_version(agent, jurisdiction) != changed


def test_the_console_home_shows_the_counts_and_links_to_the_inbox(client, jurisdiction, mailbox, webhook_source, agent):
    email_item(jurisdiction, mailbox, at=timezone.now() - dt.timedelta(hours=30))
    post_item(jurisdiction, webhook_source, at=timezone.now())
    counts = selectors.inbox_counts(agent, jurisdiction)
    assert counts is not None
    assert (counts.open, counts.overdue, counts.unassigned, counts.mine) == (2, 1, 2, 0)
    by_channel = {row.channel: row for row in counts.channels}
    assert by_channel["email"].by_status == {"new": 1} and by_channel["email"].overdue == 1
    client.force_login(agent)
    page = client.get(reverse("console:home")).content.decode()
    assert reverse("console:inbox") in page and "2 open items" in page and "1 overdue" in page


# --- who may -----------------------------------------------------------------------------------------------------


def test_a_department_worker_and_a_resident_are_refused(client, jurisdiction, mailbox, department):
    item = email_item(jurisdiction, mailbox)
    worker = staff_in_role(StaffRole.DEPARTMENT_STAFF, department)
    client.force_login(worker)
    assert client.get(reverse("console:inbox")).status_code == 403
    assert client.get(reverse("console:inbox_item", args=[item.pk])).status_code == 403
    assert client.post(reverse("console:inbox_take", args=[item.pk])).status_code == 403
    client.logout()
    resident = StaffFactory(username="resident", is_staff=False)
    client.force_login(resident)
    assert client.get(reverse("console:inbox")).status_code in (302, 403)
    assert client.post(reverse("console:inbox_take", args=[item.pk])).status_code in (302, 403)
    assert InboxItem.objects.get(pk=item.pk).assigned_to is None


def test_an_agent_of_another_city_is_refused(client, jurisdiction, mailbox):
    item = email_item(jurisdiction, mailbox)
    elsewhere = staff_in_role(StaffRole.AGENT, username="elsewhere")
    camden = JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camden", is_default=False)
    elsewhere.department = DepartmentFactory(jurisdiction=camden)
    elsewhere.save(update_fields=["department"])
    with pytest.raises(PermissionDenied):
        selectors.inbox(elsewhere, jurisdiction)
    assert selectors.inbox_counts(elsewhere, jurisdiction) is None
    client.force_login(elsewhere)
    assert client.get(reverse("console:inbox")).status_code == 403  # the site is Philadelphia's
    assert client.get(reverse("console:inbox_item", args=[item.pk])).status_code == 404
    assert client.post(reverse("console:inbox_take", args=[item.pk])).status_code == 404
    assert InboxItem.objects.get(pk=item.pk).assigned_to is None


def test_an_agent_cannot_hand_an_item_to_another_agent_but_a_supervisor_can(
    client, jurisdiction, mailbox, agent, other_agent, supervisor, team
):
    item = email_item(jurisdiction, mailbox)
    client.force_login(agent)
    client.post(reverse("console:inbox_take", args=[item.pk]))
    response = client.post(reverse("console:inbox_assign", args=[item.pk]), {"agent": other_agent.pk}, follow=True)
    assert "Only a supervisor hands an item to another agent." in response.content.decode()
    assert InboxItem.objects.get(pk=item.pk).assigned_to == agent
    # An agent's page has no agent list; they may hand the item to a team, and give it back.
    page = client.get(reverse("console:inbox_item", args=[item.pk])).content.decode()
    assert 'name="agent"' not in page and 'name="team"' in page
    client.post(reverse("console:inbox_assign", args=[item.pk]), {"team": team.pk, "action": "assign"})
    assert (InboxItem.objects.get(pk=item.pk).assigned_to, InboxItem.objects.get(pk=item.pk).team) == (agent, team)
    client.post(reverse("console:inbox_assign", args=[item.pk]), {"team": team.pk, "action": "give_back"})
    assert InboxItem.objects.get(pk=item.pk).assigned_to is None
    client.logout()
    client.force_login(supervisor)
    assert 'name="agent"' in client.get(reverse("console:inbox_item", args=[item.pk])).content.decode()
    client.post(reverse("console:inbox_assign", args=[item.pk]), {"agent": other_agent.pk, "team": ""})
    handed = InboxItem.objects.get(pk=item.pk)
    assert (handed.assigned_to, handed.team) == (other_agent, None)


def test_taking_an_item_another_agent_holds_is_refused(client, jurisdiction, mailbox, agent, other_agent):
    item = email_item(jurisdiction, mailbox)
    inbox.take(item, agent=other_agent)
    client.force_login(agent)
    response = client.post(reverse("console:inbox_take", args=[item.pk]), follow=True)
    assert "Another agent is working this item" in response.content.decode()
    assert InboxItem.objects.get(pk=item.pk).assigned_to == other_agent


# --- the item's actions ----------------------------------------------------------------------------------------------


def test_take_reply_status_and_dismiss_through_the_views(client, jurisdiction, mailbox, agent):
    item = email_item(jurisdiction, mailbox, body="Is the pool open on Sunday?", quoted="> an old message")
    client.force_login(agent)
    page = client.get(reverse("console:inbox_item", args=[item.pk])).content.decode()
    assert "Is the pool open on Sunday?" in page and "Quoted text" in page and "Take this item" in page

    client.post(reverse("console:inbox_take", args=[item.pk]))
    item.refresh_from_db()
    assert (item.assigned_to, item.status, item.contact.channel) == (agent, "in_progress", "email")
    page = client.get(reverse("console:inbox_item", args=[item.pk])).content.decode()
    assert "Work it like a call" in page and 'id="caller-search"' in page

    # An empty reply: a field error, nothing written.
    response = client.post(reverse("console:inbox_reply", args=[item.pk]), {"text": "  "})
    assert response.status_code == 400 and "Write the reply." in response.content.decode()
    assert not item.messages.filter(direction="out").exists()

    client.post(reverse("console:inbox_reply", args=[item.pk]), {"text": "Yes, from 10 to 6."})
    sent = item.messages.get(direction="out")
    assert sent.author == agent and sent.outbound_message is not None
    assert OutboundMessage.objects.get(pk=sent.outbound_message_id).recipient == "rosa@example.org"
    item.refresh_from_db()
    assert item.status == "waiting" and item.first_response_at is not None

    client.post(reverse("console:inbox_status", args=[item.pk]), {"status": "in_progress"})
    assert InboxItem.objects.get(pk=item.pk).status == "in_progress"
    client.post(reverse("console:inbox_status", args=[item.pk]), {"status": "lost"})
    assert InboxItem.objects.get(pk=item.pk).status == "in_progress"

    response = client.post(reverse("console:inbox_dismiss", args=[item.pk]), {"reason": ""})
    assert response.status_code == 400 and "Say why the item needs nothing from the city." in response.content.decode()
    response = client.post(reverse("console:inbox_dismiss", args=[item.pk]), {"reason": "Answered already"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.dismissed_reason) == ("done", "Answered already")
    assert item.contact.ended_at is not None


def test_a_reply_to_a_post_has_the_networks_limit(client, jurisdiction, webhook_source, agent):
    item = post_item(jurisdiction, webhook_source)
    client.force_login(agent)
    page = client.get(reverse("console:inbox_item", args=[item.pk])).content.decode()
    assert 'maxlength="500"' in page  # Mastodon
    response = client.post(reverse("console:inbox_reply", args=[item.pk]), {"text": "x" * 501})
    assert response.status_code == 400
    assert not OutboundPost.objects.exists()
    client.post(reverse("console:inbox_reply", args=[item.pk]), {"text": "Thanks, a crew is on the way."})
    assert OutboundPost.objects.get().in_reply_to == item.messages.get(direction="in").external_id


def test_the_conversation_shows_photos_dropped_files_and_a_posts_place(
    client, jurisdiction, mailbox, webhook_source, agent
):
    mail = email_item(
        jurisdiction,
        mailbox,
        attachments=[IncomingFile("hole.jpg", "image/jpeg", jpeg().read())],
        dropped_attachments=["invoice.exe"],
    )
    post = post_item(jurisdiction, webhook_source)
    client.force_login(agent)
    page = client.get(reverse("console:inbox_item", args=[mail.pk])).content.decode()
    assert "Photo 1 the resident sent" in page and "invoice.exe" in page
    page = client.get(reverse("console:inbox_item", args=[post.pk])).content.decode()
    assert "Place: 39.9526, -75.1635" in page and "https://example.social/media/1.jpg" in page
    assert 'rel="noopener noreferrer"' in page


# --- working it like a call -------------------------------------------------------------------------------------------


def test_filing_a_request_from_an_email_item(client, jurisdiction, mailbox, agent, service):
    item = email_item(
        jurisdiction,
        mailbox,
        body="A sofa dumped on the corner.",
        attachments=[IncomingFile("sofa.jpg", "image/jpeg", jpeg().read())],
    )
    client.force_login(agent)
    client.post(reverse("console:inbox_take", args=[item.pk]))
    item.refresh_from_db()
    page = client.get(reverse("console:inbox_item", args=[item.pk]), {"service": service.code}).content.decode()
    assert "A sofa dumped on the corner." in page and 'value="rosa@example.org"' in page
    assert "The photos the resident sent go with the request." in page
    response = client.post(
        reverse("console:file_request", args=[item.contact_id]),
        {
            "service": service.code,
            "description": "A sofa dumped on the corner.",
            "lat": "39.9526",
            "long": "-75.1635",
            "email": "rosa@example.org",
            "first_name": "Rosa",
            "action": "file",
        },
    )
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("console:inbox_item", args=[item.pk])
    )
    filed = ServiceRequest.objects.get()
    item.refresh_from_db()
    assert item.service_request == filed and filed.inbox_items.get() == item  # both ways
    assert filed.photos.count() == 1
    assert filed.requester is not None and filed.requester.email == "rosa@example.org"
    contact = Contact.objects.get(pk=item.contact_id)
    assert (contact.channel, contact.outcome, contact.service_request) == ("email", "service_request", filed)

    # The wrap-up finishes the item too.
    client.post(reverse("console:finish", args=[contact.pk]), {"survey_consent": "no"})
    item.refresh_from_db()
    assert item.status == "done" and Contact.objects.get(pk=contact.pk).ended_at is not None


def test_filing_a_request_from_a_post_keeps_the_handle_only(client, jurisdiction, webhook_source, agent, service):
    item = post_item(jurisdiction, webhook_source)
    client.force_login(agent)
    client.post(reverse("console:inbox_take", args=[item.pk]))
    item.refresh_from_db()
    page = client.get(reverse("console:inbox_item", args=[item.pk]), {"service": service.code}).content.decode()
    assert 'value="39.9526"' in page and 'value="-75.1635"' in page  # the post's place
    assert "by their handle only" in page and 'id="id_email"' not in page
    client.post(
        reverse("console:file_request", args=[item.contact_id]),
        {
            "service": service.code,
            "description": "Trash piled up at City Hall",
            "lat": "39.9526",
            "long": "-75.1635",
            # Whatever is posted, a post's requester is its author's handle and nothing else.
            "email": "someone@example.org",
            "first_name": "Someone",
            "action": "file",
        },
    )
    filed = ServiceRequest.objects.get()
    requester = filed.requester
    assert requester is not None
    assert requester.handle == "mastodon:@ana@example.social"
    assert (requester.email, requester.first_name, requester.last_name, requester.phone) == ("", "", "", "")
    assert InboxItem.objects.get(pk=item.pk).service_request == filed
    assert filed.channel == "social"


def test_adding_an_item_to_an_existing_request_links_it(client, jurisdiction, mailbox, agent, service):
    existing = filed_request(service, lat="39.9526", long="-75.1635")
    item = email_item(jurisdiction, mailbox)
    client.force_login(agent)
    client.post(reverse("console:inbox_take", args=[item.pk]))
    item.refresh_from_db()
    client.post(reverse("console:attach", args=[item.contact_id]), {"service_request": existing.pk})
    assert InboxItem.objects.get(pk=item.pk).service_request == existing


def test_knowledge_base_answers_offer_insert_into_reply(client, jurisdiction, mailbox, agent):
    write_article(
        jurisdiction,
        "pool-hours",
        title="Pool hours",
        summary="City pools are open from 10 to 6 in summer.",
        body="City pools are open from 10 to 6 in summer.",
        actor=editor(),
    )
    item = email_item(jurisdiction, mailbox)
    client.force_login(agent)
    client.post(reverse("console:inbox_take", args=[item.pk]))
    item.refresh_from_db()
    response = client.get(reverse("console:answers", args=[item.contact_id]), {"s": "pool"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Insert into reply" in body and "data-insert-reply=" in body
    page = client.get(reverse("console:inbox_item", args=[item.pk]), {"s": "pool"}).content.decode()
    assert "Insert into reply" in page and 'id="reply-text"' in page
    assert "<script>" not in page  # CSP: the button's script is a file


def test_a_phone_contact_has_no_insert_button(client, jurisdiction, agent):
    from civic311.console import services as console

    contact = console.start_contact(jurisdiction, agent, "phone")
    client.force_login(agent)
    assert (
        "Insert into reply"
        not in client.get(reverse("console:contact", args=[contact.pk]), {"s": "pool"}).content.decode()
    )


def test_the_contact_page_of_an_item_sends_its_agent_to_the_item(client, jurisdiction, mailbox, agent):
    item = email_item(jurisdiction, mailbox)
    client.force_login(agent)
    client.post(reverse("console:inbox_take", args=[item.pk]))
    item.refresh_from_db()
    response = client.get(reverse("console:contact", args=[item.contact_id]))
    assert response.status_code == 302 and response["Location"] == reverse("console:inbox_item", args=[item.pk])


def test_automatic_messages_are_marked(client, jurisdiction, mailbox, agent):
    item = email_item(jurisdiction, mailbox)
    InboxMessage.objects.create(
        item=item,
        jurisdiction=jurisdiction,
        channel="email",
        direction="in",
        body="I am out of the office.",
        automatic=True,
        sent_at=NOW,
    )
    client.force_login(agent)
    page = client.get(reverse("console:inbox_item", args=[item.pk])).content.decode()
    assert "inbox-message--automatic" in page and "automatic</span>" in page


def test_a_request_from_a_message_without_a_shared_point_starts_at_the_place_its_words_name(
    client, jurisdiction, mailbox, agent, service
):
    item = email_item(jurisdiction, mailbox, body="A sofa dumped on the corner.")
    # What the reading found in the words (text_intelligence.places) when the message shared no point.
    InboxItem.objects.filter(pk=item.pk).update(lat=39.9612, long=-75.1444)
    client.force_login(agent)
    client.post(reverse("console:inbox_take", args=[item.pk]))
    page = client.get(reverse("console:inbox_item", args=[item.pk]), {"service": service.code}).content.decode()
    assert 'value="39.9612"' in page and 'value="-75.1444"' in page


def test_a_shared_point_wins_over_the_place_the_words_name(client, jurisdiction, webhook_source, agent, service):
    item = post_item(jurisdiction, webhook_source)
    InboxItem.objects.filter(pk=item.pk).update(lat=39.9612, long=-75.1444)
    client.force_login(agent)
    client.post(reverse("console:inbox_take", args=[item.pk]))
    page = client.get(reverse("console:inbox_item", args=[item.pk]), {"service": service.code}).content.decode()
    assert 'value="39.9526"' in page and "39.9612" not in page
