"""The staff API's contacts, customers, inbox items and subscriptions (issue 18): each endpoint, the refusals
(a department worker, a token without the right role, another city), bad input in the API's error format,
the personal-data audit of every look, and no personal data for callers who may not see it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civic311.inbox.models import InboxItem, InboxMessage
from civic311.inbox.services import receiving, working
from civic311.notifications.models import OutboundMessage, Subscription
from civic311.people import services as people
from civic311.people.models import Customer, PersonalDataAccess, StaffRole, Team
from civic311.service_requests import services
from civic311.service_requests.models import Channel, Contact

from .factories import DepartmentFactory, JurisdictionFactory, ServiceFactory, StaffFactory, filed_request, with_role

pytestmark = pytest.mark.django_db

API = "/api/v1"
PRIVATE = ("Pat", "Resident", "pat@example.org", "+12155550100", "555-0100")


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def fake_send_reply(item: InboxItem, message: InboxMessage) -> None:
    """Stands in for the channel's door: the tests here are about the API, not the outbox."""
    message.external_id = f"<reply-{message.pk}@city.example>"


@pytest.fixture(autouse=True)
def _doors(monkeypatch):
    for channel in ("email", "sms", "social"):
        monkeypatch.setitem(working.REPLY_SENDERS, channel, "tests.test_staff_api_inbox.fake_send_reply")


@pytest.fixture
def supervisor(department):
    user = with_role(StaffFactory(username="sofia", department=department), StaffRole.SUPERVISOR)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def agent(department):
    user = with_role(StaffFactory(username="ana", department=department), StaffRole.AGENT)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def worker(department):
    """Department staff: works the Streets queue; no console, no inbox, no customers."""
    user = with_role(StaffFactory(username="wes", department=department), StaffRole.DEPARTMENT_STAFF, department)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def api(supervisor):
    return token_client(supervisor)


@pytest.fixture
def filed(service, center_city):
    return filed_request(
        service, first_name="Pat", last_name="Resident", email="pat@example.org", phone="215-555-0100", answers={}
    )


@pytest.fixture
def customer(jurisdiction):
    return people.create_customer(
        jurisdiction,
        first_name="Pat",
        last_name="Resident",
        phones=["215-555-0100"],
        emails=["pat@example.org"],
        addresses=["1400 John F Kennedy Blvd"],
        consent_contact=True,
        actor=None,
    )


@pytest.fixture
def item(jurisdiction, customer):
    receipt = receiving.receive(
        jurisdiction,
        receiving.Incoming(
            channel="email",
            external_id="<first@example.org>",
            sender="pat@example.org",
            sender_name="Pat Resident",
            subject="Trash not picked up",
            body="The trash on Pine St was not picked up.",
        ),
    )
    found = receipt.item
    found.customer = customer
    found.save(update_fields=["customer"])
    return found


@pytest.fixture
def camden(db):
    camden = JurisdictionFactory(
        slug="camden", name="Camden", jurisdiction_id="ci.camden.nj.us", is_default=False, host="camden.example"
    )
    ServiceFactory(jurisdiction=camden, department=DepartmentFactory(jurisdiction=camden, slug="cpw"), code="CAM-01")
    return camden


@pytest.fixture
def camden_host(settings, camden):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "camden.example"]
    return "camden.example"


ENDPOINTS = [
    ("get", "/contacts/", None),
    ("get", "/contacts/1/", None),
    ("post", "/contacts/", {"summary": "An answer.", "channel": "phone"}),
    ("get", "/customers/?q=Pat", None),
    ("get", "/customers/{customer}/", None),
    ("post", "/customers/", {"first_name": "Lee"}),
    ("patch", "/customers/{customer}/", {"first_name": "Lee"}),
    ("get", "/inbox/", None),
    ("get", "/inbox/{item}/", None),
    ("post", "/inbox/{item}/take/", {}),
    ("post", "/inbox/{item}/assign/", {"agent": None}),
    ("post", "/inbox/{item}/status/", {"status": "waiting"}),
    ("post", "/inbox/{item}/reply/", {"text": "Hello"}),
    ("post", "/inbox/{item}/dismiss/", {"reason": "Nothing to do."}),
]


def _url(template: str, item, customer) -> str:
    return API + template.format(item=item.pk, customer=customer.pk)


def _nothing_changed(item, customer) -> None:
    item.refresh_from_db()
    customer.refresh_from_db()
    assert (item.status, item.assigned_to_id, item.contact_id) == ("new", None, None)
    assert customer.first_name == "Pat"
    assert not Contact.objects.exists()
    assert Customer.objects.count() == 1
    assert not InboxMessage.objects.filter(direction="out").exists()


# --- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "template", "body"), ENDPOINTS)
def test_an_anonymous_caller_gets_401(method, template, body, item, customer):
    response = getattr(APIClient(), method)(_url(template, item, customer), body, format="json")
    assert response.status_code == 401
    assert "detail" in response.json()
    _nothing_changed(item, customer)


@pytest.mark.parametrize(("method", "template", "body"), ENDPOINTS)
def test_a_department_worker_is_refused_and_sees_nothing(method, template, body, item, customer, worker):
    response = getattr(token_client(worker), method)(_url(template, item, customer), body, format="json")
    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    for private in PRIVATE:
        assert private not in response.content.decode()
    _nothing_changed(item, customer)
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize(("method", "template", "body"), ENDPOINTS)
def test_a_token_without_a_role_is_refused(method, template, body, item, customer):
    client = token_client(StaffFactory(username="no-role"))
    response = getattr(client, method)(_url(template, item, customer), body, format="json")
    assert response.status_code == 403
    _nothing_changed(item, customer)
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize(("method", "template", "body"), ENDPOINTS)
def test_another_citys_staff_are_refused(method, template, body, item, customer, api, camden_host):
    """A Philadelphia supervisor calling Camden's host: not their city."""
    response = getattr(api, method)(_url(template, item, customer), body, format="json", HTTP_HOST=camden_host)
    assert response.status_code == 403
    _nothing_changed(item, customer)
    assert not PersonalDataAccess.objects.exists()


def test_an_item_or_customer_of_another_city_is_not_found(api, camden, item, customer):
    """An admin sees every city, but each through its own host: Camden's records are not Philadelphia's."""
    admin = token_client(with_role(StaffFactory(username="root"), StaffRole.ADMIN))
    theirs = people.create_customer(camden, first_name="Cam", actor=None)
    item.jurisdiction = camden
    item.save(update_fields=["jurisdiction"])
    assert admin.get(f"{API}/inbox/{item.pk}/").status_code == 404
    assert admin.post(f"{API}/inbox/{item.pk}/take/", {}, format="json").status_code == 404
    assert admin.get(f"{API}/customers/{theirs.pk}/").status_code == 404
    assert admin.patch(f"{API}/customers/{theirs.pk}/", {"first_name": "X"}, format="json").status_code == 404
    assert admin.get(f"{API}/inbox/").json()["results"] == []
    assert admin.get(f"{API}/customers/?q=Cam").json() == []


@pytest.mark.parametrize("path", ["/contacts/abc/", "/contacts/99999999999999999999/", "/customers/0/", "/inbox/x/"])
def test_an_id_that_cannot_name_a_row_is_a_json_404(api, path):
    response = api.get(API + path)
    assert response.status_code == 404
    assert "detail" in response.json()


# --- contacts ---------------------------------------------------------------------------------------------


def test_contacts_are_listed_newest_first_with_filters(api, supervisor, agent, filed, service):
    now = timezone.now()
    answer = services.log_information_request(
        filed.jurisdiction,
        channel=Channel.EMAIL,
        summary="Pick-up is on Thursdays.",
        service=service,
        agent=agent,
        started_at=now - dt.timedelta(hours=2),
    )
    walk_in = services.log_information_request(
        filed.jurisdiction,
        channel=Channel.WALK_IN,
        summary="Directions to room 167.",
        agent=supervisor,
        outcome=Contact.Outcome.DIRECTORY,
        started_at=now - dt.timedelta(days=3),
    )
    filed_contact = Contact.objects.get(service_request=filed)
    body = api.get(f"{API}/contacts/").json()
    assert [row["id"] for row in body["results"]] == [filed_contact.pk, answer.pk, walk_in.pk]
    first = body["results"][1]
    assert first["channel"] == "email" and first["outcome"] == "information"
    assert first["agent"] == "ana" and first["service_code"] == "SR-ST02"
    assert first["summary"] == "Pick-up is on Thursdays."

    def ids(query: str) -> list[int]:
        return [row["id"] for row in api.get(f"{API}/contacts/?{query}").json()["results"]]

    assert ids("channel=walk_in&channel=email") == [answer.pk, walk_in.pk]
    assert ids("outcome=directory") == [walk_in.pk]
    assert ids("agent=ana") == [answer.pk]
    since = (now - dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"started_after={since}") == [filed_contact.pk, answer.pk]
    assert ids(f"started_before={since}") == [walk_in.pk]
    assert ids(f"service_request={filed.tracking_number}") == [filed_contact.pk]
    assert ids("service_request=99999999") == []
    assert api.get(f"{API}/contacts/{answer.pk}/").json()["summary"] == "Pick-up is on Thursdays."


def test_an_agent_reads_only_their_own_contacts(agent, supervisor, jurisdiction):
    mine = services.log_information_request(jurisdiction, channel="phone", summary="Mine.", agent=agent)
    theirs = services.log_information_request(jurisdiction, channel="phone", summary="Theirs.", agent=supervisor)
    client = token_client(agent)
    assert [row["id"] for row in client.get(f"{API}/contacts/").json()["results"]] == [mine.pk]
    assert client.get(f"{API}/contacts/{theirs.pk}/").status_code == 404


@pytest.mark.parametrize(
    "query", ["channel=fax", "outcome=maybe", "started_after=yesterday", "started_before=2026-13-01"]
)
def test_a_bad_contact_filter_is_a_400_naming_it(api, query):
    response = api.get(f"{API}/contacts/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_an_answer_given_is_logged_as_an_information_contact(api, supervisor, service):
    response = api.post(
        f"{API}/contacts/",
        {"channel": "sms", "summary": "Bulk pick-up is on Saturdays.", "service_code": "SR-ST02"},
        format="json",
    )
    assert response.status_code == 201
    contact = Contact.objects.get()
    assert response.json()["id"] == contact.pk
    assert (contact.channel, contact.outcome, contact.agent, contact.service) == (
        "sms",
        "information",
        supervisor,
        service,
    )
    assert contact.ended_at is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"summary": "  "}, "summary"),
        ({"summary": "An answer.", "channel": "import"}, "channel"),
        ({"summary": "An answer.", "outcome": "service_request"}, "outcome"),
        ({"summary": "An answer.", "service_code": "NOPE"}, "service_code"),
        ({"summary": "An answer.", "started_at": "2999-01-01T00:00:00Z"}, "started_at"),
        ({"summary": "An answer.", "started_at": "0216-10-18T02:45:12.588-07:25"}, "started_at"),  # fuzz
        ({"summary": "An answer.", "started_at": "2020-01-01T00:00:00Z"}, "started_at"),
        ({"summary": "A NUL \x00 here."}, "summary"),
        ({}, "summary"),
    ],
)
def test_a_bad_answer_is_a_400_and_logs_nothing(api, service, body, field):
    response = api.post(f"{API}/contacts/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Contact.objects.exists()


# --- customers --------------------------------------------------------------------------------------------


def test_the_lookup_finds_customers_and_audits_each_found(api, supervisor, customer):
    for query in ("Pat Res", "(215) 555-0100", "PAT@example.org"):
        body = api.get(f"{API}/customers/", {"q": query}).json()
        assert body == [
            {
                "id": customer.pk,
                "first_name": "Pat",
                "last_name": "Resident",
                "preferred_language": "",
                "phone": "+12155550100",
                "email": "pat@example.org",
            }
        ]
    audit = list(PersonalDataAccess.objects.values_list("user__username", "customer_id", "purpose", "where"))
    assert audit == [("sofia", customer.pk, "search", "staff API")] * 3
    assert api.get(f"{API}/customers/", {"q": "Nobody"}).json() == []


def test_the_lookup_needs_a_query(api):
    response = api.get(f"{API}/customers/")
    assert response.status_code == 400
    assert "q" in response.json()


def test_a_customer_is_read_with_details_consent_and_history_and_the_look_is_audited(
    api, supervisor, customer, filed, jurisdiction
):
    people.link_requester(filed.requester, customer, actor=None)
    services.log_information_request(jurisdiction, channel="phone", summary="An answer.", agent=supervisor)
    body = api.get(f"{API}/customers/{customer.pk}/").json()
    assert body["first_name"] == "Pat" and body["consent_contact"] is True and body["consent_survey"] is False
    assert [(p["number"], p["label"], p["is_primary"]) for p in body["phones"]] == [("+12155550100", "mobile", True)]
    assert [e["email"] for e in body["emails"]] == ["pat@example.org"]
    assert [a["address"] for a in body["addresses"]] == ["1400 John F Kennedy Blvd"]
    assert any(entry["tracking_number"] == filed.tracking_number for entry in body["history"])
    audit = list(PersonalDataAccess.objects.values_list("user__username", "customer_id", "purpose", "where"))
    assert audit == [("sofia", customer.pk, "view", "staff API")]


def test_a_merged_customer_is_followed_to_the_survivor(api, customer, jurisdiction):
    duplicate = people.create_customer(jurisdiction, first_name="Patricia", emails=["p2@example.org"], actor=None)
    people.merge_customers(customer, duplicate, actor=None)
    body = api.get(f"{API}/customers/{duplicate.pk}/").json()
    assert body["id"] == customer.pk
    assert sorted(e["email"] for e in body["emails"]) == ["p2@example.org", "pat@example.org"]
    response = api.patch(f"{API}/customers/{duplicate.pk}/", {"preferred_language": "es"}, format="json")
    assert response.status_code == 200 and response.json()["id"] == customer.pk
    customer.refresh_from_db()
    assert customer.preferred_language == "es"


def test_a_customer_is_created_through_the_crm_and_audited(api, supervisor, jurisdiction):
    response = api.post(
        f"{API}/customers/",
        {
            "first_name": "Lee",
            "last_name": "Caller",
            "phones": [{"number": "215-555-0142", "label": "home"}],
            "emails": ["lee@example.org"],
            "addresses": [{"address": "1 Main St", "zipcode": "19107"}],
            "consent_survey": True,
            "preferred_language": "es",
        },
        format="json",
    )
    assert response.status_code == 201
    created = Customer.objects.get(first_name="Lee")
    body = response.json()
    assert body["id"] == created.pk and body["preferred_language"] == "es" and body["consent_survey"] is True
    assert body["phones"][0]["number"] == "+12155550142" and body["phones"][0]["label"] == "home"
    assert created.jurisdiction == jurisdiction
    purposes = set(PersonalDataAccess.objects.filter(customer=created).values_list("purpose", "where"))
    assert purposes == {("edit", "staff API"), ("view", "staff API")}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "last_name"),
        ({"first_name": "Lee", "phones": [{"number": "12"}]}, "phones"),
        ({"first_name": "Lee", "emails": ["not-an-address"]}, "emails"),
        ({"first_name": "Lee", "preferred_language": "xx"}, "preferred_language"),
        ({"first_name": "Lee", "phones": [{"number": "215-555-0142", "label": "pager"}]}, "phones"),
        ({"first_name": "Lee", "addresses": [{"address": "1 Main St", "lat": 91}]}, "addresses"),
    ],
)
def test_a_bad_new_customer_is_a_400_and_nothing_is_written(api, jurisdiction, body, field):
    response = api.post(f"{API}/customers/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() or "lat" in response.json()
    assert not Customer.objects.exists()
    assert not PersonalDataAccess.objects.exists()


def test_a_customer_is_changed_and_contact_details_added(api, customer):
    response = api.patch(
        f"{API}/customers/{customer.pk}/",
        {
            "last_name": "Residente",
            "consent_survey": True,
            "add_phones": [{"number": "215-555-0199", "label": "work"}],
            "add_emails": ["pat.work@example.org"],
            "add_addresses": [{"address": "2 Market St"}],
        },
        format="json",
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.last_name == "Residente" and customer.consent_survey and customer.consent_contact
    assert customer.consent_updated_at is not None
    assert sorted(customer.phones.values_list("number", flat=True)) == ["+12155550100", "+12155550199"]
    assert customer.emails.count() == 2 and customer.addresses.count() == 2
    assert PersonalDataAccess.objects.filter(customer=customer, purpose="edit").exists()


def test_a_bad_change_is_a_400_and_changes_nothing(api, customer):
    response = api.patch(
        f"{API}/customers/{customer.pk}/",
        {"last_name": "Changed", "add_phones": [{"number": "215-555-0100"}]},  # the number it already has
        format="json",
    )
    assert response.status_code == 400
    assert "add_phones" in response.json()
    customer.refresh_from_db()
    assert customer.last_name == "Resident" and customer.phones.count() == 1
    assert not PersonalDataAccess.objects.exists()


# --- the inbox --------------------------------------------------------------------------------------------


def test_the_inbox_lists_items_with_filters_and_audits_each_sender_shown(api, supervisor, item, jurisdiction):
    other = receiving.receive(
        jurisdiction,
        receiving.Incoming(channel="sms", external_id="SM1", sender="+12155550177", body="Pothole on Elm St"),
    ).item
    body = api.get(f"{API}/inbox/").json()["results"]
    assert {row["id"] for row in body} == {item.pk, other.pk}
    row = next(row for row in body if row["id"] == item.pk)
    assert row["sender"] == "pat@example.org" and row["sender_name"] == "Pat Resident"
    assert row["status"] == "new" and row["channel"] == "email" and row["customer"] == item.customer_id
    assert row["first_words"] == "Trash not picked up"
    assert PersonalDataAccess.objects.filter(user=supervisor, purpose="view", where="staff API").count() == 2
    assert [row["id"] for row in api.get(f"{API}/inbox/?channel=sms").json()["results"]] == [other.pk]
    assert api.get(f"{API}/inbox/?status=done").json()["results"] == []
    assert api.get(f"{API}/inbox/?assigned=me").json()["results"] == []
    assert {row["id"] for row in api.get(f"{API}/inbox/?assigned=unassigned").json()["results"]} == {item.pk, other.pk}
    assert api.get(f"{API}/inbox/?overdue=true").json()["results"] == []


def test_the_inbox_is_paged_in_its_order_overdue_first(api, supervisor, jurisdiction):
    """Pages follow the list's order (due time with nothing-due last, on SQLite and PostgreSQL alike); each
    item is on one page only, and only the items shown are audited."""
    now = timezone.now()
    made = []
    for index in range(5):
        made.append(
            receiving.receive(
                jurisdiction,
                receiving.Incoming(
                    channel="sms", external_id=f"SMpage{index}", sender=f"+1215555020{index}", body="Pothole"
                ),
                now=now - dt.timedelta(minutes=index),
            ).item
        )
    InboxItem.objects.filter(pk=made[0].pk).update(response_due_at=now - dt.timedelta(hours=2))  # most overdue
    InboxItem.objects.filter(pk=made[1].pk).update(response_due_at=None)  # nothing due: last
    expected = [made[0].pk, made[4].pk, made[3].pk, made[2].pk, made[1].pk]
    first = api.get(f"{API}/inbox/?page_size=2").json()
    assert first["count"] == 5 and [row["id"] for row in first["results"]] == expected[:2]
    assert first["results"][0]["overdue"] is True
    assert PersonalDataAccess.objects.filter(user=supervisor, purpose="view").count() == 2
    ids = [row["id"] for row in first["results"]]
    page = first
    while page["next"]:
        page = api.get(page["next"]).json()
        ids += [row["id"] for row in page["results"]]
    assert ids == expected
    assert api.get(f"{API}/inbox/?page=9").status_code == 404


@pytest.mark.parametrize("query", ["channel=fax", "status=maybe", "assigned=someone", "overdue=perhaps", "team=x"])
def test_a_bad_inbox_filter_is_a_400_naming_it(api, query):
    response = api.get(f"{API}/inbox/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_an_item_is_read_with_its_conversation_and_the_look_is_audited(api, supervisor, item):
    body = api.get(f"{API}/inbox/{item.pk}/").json()
    assert body["sender"] == "pat@example.org"
    assert [(m["direction"], m["body"]) for m in body["messages"]] == [
        ("in", "The trash on Pine St was not picked up.")
    ]
    audit = list(PersonalDataAccess.objects.values_list("user__username", "customer_id", "purpose", "where"))
    assert audit == [("sofia", item.customer_id, "view", "staff API")]


def test_callers_who_may_not_see_contact_details_get_no_sender_and_leave_no_audit(api, item, monkeypatch):
    monkeypatch.setattr("civic311.staff_api.inbox.may_see_contact_details", lambda user: False)
    listed = api.get(f"{API}/inbox/").json()["results"]
    read = api.get(f"{API}/inbox/{item.pk}/").json()
    assert listed[0]["sender"] is None and listed[0]["sender_name"] is None
    assert read["sender"] is None and read["sender_name"] is None
    assert "pat@example.org" not in str(listed) + str(read)
    assert not PersonalDataAccess.objects.exists()


def test_an_agent_takes_an_item_and_a_contact_opens_for_them(agent, item):
    response = token_client(agent).post(f"{API}/inbox/{item.pk}/take/", format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.assigned_to == agent and item.status == "in_progress"
    assert item.contact is not None and item.contact.channel == "email" and item.contact.agent == agent
    assert response.json()["contact"] == item.contact_id and response.json()["assigned_to"] == "ana"


def test_taking_an_item_another_agent_holds_is_a_400(agent, supervisor, item):
    working.take(item, agent=supervisor)
    response = token_client(agent).post(f"{API}/inbox/{item.pk}/take/", format="json")
    assert response.status_code == 400
    assert "item" in response.json()
    item.refresh_from_db()
    assert item.assigned_to == supervisor


def test_a_supervisor_hands_an_item_to_an_agent_or_a_team(api, agent, item, jurisdiction):
    response = api.post(f"{API}/inbox/{item.pk}/assign/", {"agent": "ana"}, format="json")
    assert response.status_code == 200 and response.json()["assigned_to"] == "ana"
    team = Team.objects.create(jurisdiction=jurisdiction, name="Day shift")
    response = api.post(f"{API}/inbox/{item.pk}/assign/", {"agent": None, "team": team.pk}, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.assigned_to is None and item.team == team


def test_an_agent_may_not_hand_an_item_to_another_agent(agent, supervisor, item):
    response = token_client(agent).post(f"{API}/inbox/{item.pk}/assign/", {"agent": "sofia"}, format="json")
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.assigned_to is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"agent": "nobody-here"}, "agent"),
        ({"team": 999}, "team"),
        ({"agent": "wes"}, "agent"),
        ({"team": "x"}, "team"),
    ],
)
def test_a_bad_assignment_is_a_400(api, worker, item, body, field):
    response = api.post(f"{API}/inbox/{item.pk}/assign/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    item.refresh_from_db()
    assert item.assigned_to is None and item.team is None


def test_the_status_is_set_and_a_bad_one_refused(api, item):
    assert api.post(f"{API}/inbox/{item.pk}/status/", {"status": "waiting"}, format="json").json()["status"] == (
        "waiting"
    )
    response = api.post(f"{API}/inbox/{item.pk}/status/", {"status": "lost"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    item.refresh_from_db()
    assert item.status == "waiting"


def test_a_reply_joins_the_conversation_and_the_item_waits(api, supervisor, item):
    response = api.post(f"{API}/inbox/{item.pk}/reply/", {"text": "We will collect it Thursday."}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "waiting" and body["first_response_at"] is not None
    assert [(m["direction"], m["author"]) for m in body["messages"]] == [("in", None), ("out", "sofia")]
    reply = InboxMessage.objects.get(direction="out")
    assert reply.body == "We will collect it Thursday." and reply.external_id.startswith("<reply-")


@pytest.mark.parametrize("body", [{"text": "   "}, {"text": "x" * 10_001}, {"text": "NUL \x00"}, {}])
def test_a_bad_reply_is_a_400_and_nothing_is_sent(api, item, body):
    response = api.post(f"{API}/inbox/{item.pk}/reply/", body, format="json")
    assert response.status_code == 400
    assert "text" in response.json()
    assert not InboxMessage.objects.filter(direction="out").exists()
    item.refresh_from_db()
    assert item.status == "new"


def test_an_item_is_dismissed_with_a_reason(api, item):
    response = api.post(f"{API}/inbox/{item.pk}/dismiss/", {"reason": "A thank-you note."}, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.status == "done" and item.dismissed_reason == "A thank-you note."
    refused = api.post(f"{API}/inbox/{item.pk}/dismiss/", {"reason": " "}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()


def test_a_body_that_is_not_json_is_refused(api, item):
    response = api.post(f"{API}/inbox/{item.pk}/reply/", "{not json", content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()
    response = api.post(f"{API}/inbox/{item.pk}/reply/", "text=hi", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


# --- subscriptions ---------------------------------------------------------------------------------------


def test_a_resident_is_subscribed_with_double_opt_in(api, filed):
    url = f"{API}/requests/{filed.tracking_number}/subscriptions/"
    response = api.post(url, {"email": "neighbour@example.org", "language": "es"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "pending" and body["email"] == "neighbour@example.org" and body["language"] == "es"
    confirmation = OutboundMessage.objects.get(recipient="neighbour@example.org")
    assert "/confirm/" in confirmation.body or "confirm" in confirmation.body.lower()
    listed = api.get(url).json()
    assert [(row["id"], row["email"], row["state"]) for row in listed] == [
        (body["id"], "neighbour@example.org", "pending")
    ]
    assert PersonalDataAccess.objects.filter(purpose="view", where="staff API").count() == 1


def test_a_subscription_is_ended(api, filed):
    subscription = Subscription.objects.create(service_request=filed, email="n@example.org", state="active")
    url = f"{API}/requests/{filed.tracking_number}/subscriptions/{subscription.pk}/"
    assert api.delete(url).status_code == 204
    subscription.refresh_from_db()
    assert subscription.state == "unsubscribed" and subscription.unsubscribed_at is not None
    assert api.delete(url).status_code == 204  # again: still unsubscribed
    assert api.delete(f"{API}/requests/{filed.tracking_number}/subscriptions/999999/").status_code == 404


@pytest.mark.parametrize(("body", "field"), [({"email": "not an address"}, "email"), ({}, "email")])
def test_a_bad_subscription_is_a_400(api, filed, body, field):
    response = api.post(f"{API}/requests/{filed.tracking_number}/subscriptions/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Subscription.objects.exists()


def test_a_private_request_cannot_be_followed(api, filed):
    services.update_details(filed, {"is_private": True}, actor=None)
    response = api.post(
        f"{API}/requests/{filed.tracking_number}/subscriptions/", {"email": "n@example.org"}, format="json"
    )
    assert response.status_code == 400 and "non_field_errors" in response.json()
    assert not Subscription.objects.exists()


def test_a_department_worker_sees_no_subscriber_address_and_may_not_subscribe(worker, filed):
    Subscription.objects.create(service_request=filed, email="n@example.org", state="active")
    client = token_client(worker)
    url = f"{API}/requests/{filed.tracking_number}/subscriptions/"
    listed = client.get(url)
    assert listed.status_code == 200 and listed.json()[0]["email"] is None
    assert "n@example.org" not in listed.content.decode()
    assert client.post(url, {"email": "x@example.org"}, format="json").status_code == 403
    assert not PersonalDataAccess.objects.exists()
    assert Subscription.objects.count() == 1


def test_another_citys_request_has_no_subscriptions_here(api, camden_host, filed):
    """Camden has no request with Philadelphia's number, and the supervisor does not work Camden."""
    url = f"{API}/requests/{filed.tracking_number}/subscriptions/"
    assert api.get(url, HTTP_HOST=camden_host).status_code == 404
    assert api.post(url, {"email": "n@example.org"}, format="json", HTTP_HOST=camden_host).status_code == 404
    assert not Subscription.objects.exists()


def test_listing_contacts_takes_a_fixed_number_of_queries(api, supervisor, jurisdiction, django_assert_max_num_queries):
    for number in range(5):
        services.log_information_request(jurisdiction, channel="phone", summary=f"Answer {number}.", agent=supervisor)
    with django_assert_max_num_queries(12):
        assert len(api.get(f"{API}/contacts/").json()["results"]) == 5
