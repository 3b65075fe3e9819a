"""The inbox in the admin (`inbox/admin.py`): the doors' secrets are never shown again, their webhook addresses
are, a city's supervisor sees and picks only their own city, and agents read conversations but change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civic311.inbox import services as inbox
from civic311.inbox.models import Mailbox, PostSource, SmsNumber
from civic311.people.models import StaffRole

from ..factories import DepartmentFactory, JurisdictionFactory, StaffFactory, with_role

pytestmark = pytest.mark.django_db
SECRETS = ("mail-key", "imap-pass-123", "sms-secret", "post-secret")


@pytest.fixture
def doors(mailbox, sms_number, webhook_source):
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_host="imap.city.example", imap_password="imap-pass-123")
    return {"mailbox": mailbox, "sms": sms_number, "posts": webhook_source}


def page_texts(client, *urls) -> str:
    answers = [client.get(url) for url in urls]
    assert [answer.status_code for answer in answers] == [200] * len(urls)
    return " ".join(answer.content.decode() for answer in answers)


def test_secrets_are_never_shown_and_webhook_addresses_are(client, staff, doors):
    client.force_login(staff)
    text = page_texts(
        client,
        reverse("admin:inbox_mailbox_changelist"),
        reverse("admin:inbox_mailbox_change", args=[doors["mailbox"].pk]),
        reverse("admin:inbox_smsnumber_changelist"),
        reverse("admin:inbox_smsnumber_change", args=[doors["sms"].pk]),
        reverse("admin:inbox_postsource_changelist"),
        reverse("admin:inbox_postsource_change", args=[doors["posts"].pk]),
    )
    assert [secret for secret in SECRETS if secret in text] == []
    assert reverse("inbox:mail_hook", args=[doors["mailbox"].webhook_token]) in text
    assert reverse("inbox:post_hook", args=[doors["posts"].webhook_token]) in text
    assert reverse("inbox:sms_hook") in text


def test_a_secret_left_empty_is_kept_and_a_new_one_replaces_it(client, staff, doors):
    client.force_login(staff)
    source = doors["posts"]
    url = reverse("admin:inbox_postsource_change", args=[source.pk])
    form = {
        "jurisdiction": source.jurisdiction_id,
        "name": "Posts about the city",
        "kind": "webhook",
        "network": "mastodon",
        "account": "@city311@example.social",
        "url": "",
        "query": "",
        "is_active": "on",
        "signing_secret": "",
    }
    assert client.post(url, form).status_code == 302
    source.refresh_from_db()
    assert source.signing_secret == "post-secret"
    assert client.post(url, {**form, "signing_secret": "a-new-secret"}).status_code == 302
    source.refresh_from_db()
    assert source.signing_secret == "a-new-secret"


def test_a_new_number_needs_its_secret(client, staff, jurisdiction):
    client.force_login(staff)
    form = {"jurisdiction": jurisdiction.pk, "number": "+12155550999", "gateway": "twilio", "is_active": "on"}
    answer = client.post(reverse("admin:inbox_smsnumber_add"), {**form, "signing_secret": ""})
    assert answer.status_code == 200 and "signing_secret" in answer.context["adminform"].form.errors
    assert client.post(reverse("admin:inbox_smsnumber_add"), {**form, "signing_secret": "s3"}).status_code == 302
    assert SmsNumber.objects.get(number="+12155550999").signing_secret == "s3"


def test_a_citys_supervisor_sees_and_picks_only_their_city(client, jurisdiction, doors):
    other = JurisdictionFactory(slug="elsewhere", name="Elsewhere", jurisdiction_id="elsewhere.gov")
    theirs = PostSource.objects.create(jurisdiction=other, name="Elsewhere's posts", kind="webhook")
    supervisor = with_role(
        StaffFactory(username="city-sup", department=DepartmentFactory(jurisdiction=jurisdiction, slug="cc")),
        StaffRole.SUPERVISOR,
    )
    client.force_login(supervisor)
    listing = client.get(reverse("admin:inbox_postsource_changelist"))
    assert listing.status_code == 200
    assert "Posts about the city" in listing.text and "Elsewhere&#x27;s posts" not in listing.text
    assert client.get(reverse("admin:inbox_postsource_change", args=[theirs.pk])).status_code in (302, 403, 404)
    picker = client.get(reverse("admin:inbox_postsource_add")).context["adminform"].form.fields["jurisdiction"]
    assert list(picker.queryset) == [jurisdiction]


def test_an_agent_reads_conversations_but_cannot_touch_the_doors(client, agent, doors, jurisdiction):
    item = inbox.receive(
        jurisdiction,
        inbox.Incoming(channel="email", external_id="<a1@mail.example>", sender="ana@example.org", body="Lamp out."),
    ).item
    client.force_login(agent)
    assert client.get(reverse("admin:inbox_mailbox_changelist")).status_code == 403
    page = client.get(reverse("admin:inbox_inboxitem_change", args=[item.pk]))
    assert page.status_code == 200 and "Lamp out." in page.text
    assert 'name="_save"' not in page.text  # read-only
    listing = client.get(reverse("admin:inbox_inboxitem_changelist"))
    assert listing.status_code == 200 and "ana@example.org" not in listing.text
    assert client.post(reverse("admin:inbox_inboxitem_delete", args=[item.pk]), {"post": "yes"}).status_code == 403
