"""Fuzz the staff API from its own OpenAPI schema with schemathesis, in-process through the WSGI app.

Every operation gets a small, derandomized budget of generated requests (valid ones, and invalid ones
that the API must refuse) signed with a staff token that holds every permission, against a small
seeded city. No response may be a 5xx, and every response must be one the schema documents, with the
documented content type and body. FUZZ_EXAMPLES raises the budget for a longer local run. The run is
bounded by that number of examples, never by the clock: a loaded machine is slow, not wrong.
"""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import Permission
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token

from civic311.inbox.services import receiving, working
from civic311.notifications.models import Subscription
from civic311.people import services as people
from civic311.people.models import StaffRole
from civic311.service_requests import services
from civic311.service_requests.lifecycle import Status
from civic311.wsgi import application

from .factories import RoutingRuleFactory, StaffFactory, filed_request, select_attribute, with_role

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Path parameters that name the seeded data, so that the operations on one object get past the 404.
KNOWN = {"tracking_number": "10000001", "code": "SR-ST02", "slug": "streets"}
KNOWN_IDS: dict[str, int] = {}  # the seeded contact, customer, inbox item and subscription, by collection


@pytest.fixture
def in_process_wsgi():
    """Keep Django's WSGI handler from closing the test's database connection after each request,
    as Django's own test client does; so the calls see, and are rolled back with, the test's data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded_city(service, department, center_city):
    """A small city: a service with questions and a canned answer, requests in several states, a customer,
    an answer given, an inbox item and a subscription."""
    select_attribute(service, "size", ["small", "large"])
    select_attribute(service, "gas", ["yes", "no"])
    RoutingRuleFactory(
        service=service,
        kind="canned_answer",
        attribute_code="gas",
        attribute_value="yes",
        message="Leave the area and call 911.",
    )
    first = filed_request(service, first_name="Pat", email="pat@example.org")
    second = filed_request(service, address="1 Main St")
    services.change_status(second, Status.CLOSED, actor=None, public_reason="Issue Resolved")
    services.add_note(first, "Internal.", actor=None, public=False)
    customer = people.create_customer(
        service.jurisdiction, first_name="Pat", phones=["215-555-0100"], emails=["pat@example.org"], actor=None
    )
    contact = services.log_information_request(service.jurisdiction, channel="phone", summary="An answer.")
    item = receiving.receive(
        service.jurisdiction,
        receiving.Incoming(channel="email", external_id="<fuzz@example.org>", sender="pat@example.org", body="Hi"),
    ).item
    subscription = Subscription.objects.create(service_request=first, email="n@example.org")
    KNOWN_IDS.update(
        {"contacts": contact.pk, "customers": customer.pk, "inbox": item.pk, "subscriptions": subscription.pk}
    )
    return first


def fake_send_reply(item, message) -> None:
    """The channels' doors are tested on their own; here a reply only needs to be written."""


@pytest.fixture(autouse=True)
def _doors(monkeypatch):
    for channel in ("email", "sms", "social"):
        monkeypatch.setitem(working.REPLY_SENDERS, channel, "tests.test_staff_api_fuzz.fake_send_reply")


def known_parameters(path: str) -> dict[str, str]:
    """The seeded objects a path names: `{id}` is the last collection's before it."""
    known = {name: value for name, value in KNOWN.items() if f"{{{name}}}" in path}
    if "{id}" in path:
        collection = path.split("/{id}")[0].rstrip("/").rsplit("/", 1)[-1]
        known["id"] = str(KNOWN_IDS[collection])
    return known


@pytest.fixture
def fuzz_token(db):
    user = StaffFactory(username="fuzzer")
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["requests", "catalogue", "people"])
    )
    with_role(user, StaffRole.SUPERVISOR)  # works the inbox, sees customers (no home department: any city)
    return Token.objects.create(user=user).key


def test_the_staff_api_survives_fuzzing_from_its_own_schema(in_process_wsgi, seeded_city, fuzz_token):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", in_process_wsgi)
    headers = {"Authorization": f"Token {fuzz_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    # with the knowledge search and article, the contacts, customers, inbox and subscriptions (issue 18), and
    # texts/read (issue 19)
    assert len(operations) == 31

    for operation in operations:
        known = known_parameters(operation.path)
        runs: list[tuple[GenerationMode, dict[str, str]]] = [
            (mode, {}) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
        if known:
            runs.append((GenerationMode.POSITIVE, known))
        for mode, path_parameters in runs:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # Nothing in this operation can be made invalid (no parameters, or free-form strings only).
                assert mode == GenerationMode.NEGATIVE, operation.label
