"""Fixtures shared by the inbox's tests: a city's doors, and an agent who works its inbox."""

from __future__ import annotations

import pytest

from civic311.inbox.models import Mailbox, PostSource, SmsNumber
from civic311.people.models import StaffRole

from ..factories import StaffFactory, with_role


@pytest.fixture
def agent(db):
    """A contact-centre agent with no home department (sees every city's inbox)."""
    return with_role(StaffFactory(username="ana-agent", first_name="Ana", last_name="Reyes"), StaffRole.AGENT)


@pytest.fixture
def mailbox(jurisdiction):
    return Mailbox.objects.create(jurisdiction=jurisdiction, address="311@city.example", signing_key="mail-key")


@pytest.fixture
def sms_number(jurisdiction):
    return SmsNumber.objects.create(jurisdiction=jurisdiction, number="+12155550311", signing_secret="sms-secret")


@pytest.fixture
def webhook_source(jurisdiction):
    return PostSource.objects.create(
        jurisdiction=jurisdiction,
        name="Posts about the city",
        kind=PostSource.Kind.WEBHOOK,
        network="mastodon",
        account="@city311@example.social",
        signing_secret="post-secret",
    )
