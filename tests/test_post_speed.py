"""What keeps Open311 POST requests.json fast (issue 7), and keeps it right: the queries one POST makes are
pinned, and what each process keeps (the jurisdictions, the catalogue) is forgotten as soon as it changes
here, and within its time limit when another process changes it."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import RoutingRule, Service
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions import tracking_numbers
from civic311.jurisdictions.models import Jurisdiction
from civic311.open311 import services as open311
from civic311.open311.models import ApiKey, ApiKeyActivity, BatchToken
from civic311.process_cache import ProcessCache
from civic311.service_requests.models import HistoryEntry, ServiceRequest
from civic311.service_requests.services import allocate_tracking_numbers

from .factories import (
    AttributeValueFactory,
    DepartmentFactory,
    JurisdictionFactory,
    RoutingRuleFactory,
    ServiceAttributeFactory,
    select_attribute,
)

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests.json"
CITY_HALL = {"lat": "39.9526", "long": "-75.1635"}
TRANSACTION_CONTROL = {"SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"}


@pytest.fixture
def issued(jurisdiction):
    return open311.issue_api_key(jurisdiction, "FixMyStreet", contact_email="dev@example.org")


@pytest.fixture
def key(issued):
    return issued.key


def form(key, service, **extra):
    return {"api_key": key, "service_code": service.code, **CITY_HALL, "description": "Tires in the alley.", **extra}


def post(client, data):
    return client.post(URL, data)


def answer(response):
    return json.loads(response.content)


def descriptions(response):
    return " ".join(error["description"] for error in answer(response))


def statements(captured) -> list[tuple[str, str]]:
    """(verb, table) of each statement, without the transaction's own (savepoints in a test)."""
    made = []
    for query in captured:
        sql = query["sql"]
        verb = sql.split(None, 1)[0].upper()
        if verb in TRANSACTION_CONTROL:
            continue
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
        made.append((verb, table.group(1) if table else "?"))
    return made


# --- the queries of one POST -----------------------------------------------------------------------------


def filing(*, requester: bool = True) -> list[tuple[str, str]]:
    """The statements of one POST once the process knows the city. The key is read from the shared cache and its
    call counted there (rate_limits): neither asks the database."""
    if connection.vendor == "postgresql":
        return [
            ("SELECT", "?"),  # nextval of the city's tracking-number sequence: no row locked, none written
            # The requester, the request (its client_request_id settled by ON CONFLICT), the history entry, its
            # announcement for the outbox, the contact and the key's audit row, in one statement (filed_rows.py),
            # which needs no transaction around it.
            ("WITH", "requests_servicerequest"),
        ]
    return [
        ("UPDATE", "jurisdictions_jurisdiction"),  # the tracking number, in one statement
        *([("INSERT", "people_requester")] if requester else []),
        ("INSERT", "requests_servicerequest"),  # a client_request_id seen before is refused here
        ("INSERT", "requests_historyentry"),
        ("INSERT", "requests_announcement"),  # the transactional outbox: what the entry calls for, made later
        ("INSERT", "requests_contact"),
        ("INSERT", "open311_apikeyactivity"),
    ]


def test_a_post_makes_only_its_own_writes_once_the_process_knows_the_city(client, service, key):
    assert post(client, form(key, service, client_request_id="warm-up")).status_code == 200

    with CaptureQueriesContext(connection) as captured:
        response = post(client, form(key, service, client_request_id="second", email="pat@example.org"))

    assert response.status_code == 200, response.content
    # Pinned: a change that adds a query to every POST has to change this list, and say why.
    assert statements(captured) == filing()


def test_a_post_without_contact_details_or_client_id_writes_no_requester_and_looks_nothing_up(client, service, key):
    post(client, form(key, service))
    with CaptureQueriesContext(connection) as captured:
        assert post(client, form(key, service)).status_code == 200
    assert statements(captured) == filing(requester=False)


def test_a_replay_files_nothing_and_answers_with_the_first_request(client, service, key):
    first = answer(post(client, form(key, service, client_request_id="again")))
    count = ServiceRequest.objects.count()
    with CaptureQueriesContext(connection) as captured:
        again = post(client, form(key, service, client_request_id="again"))
    assert answer(again)[0]["service_request_id"] == first[0]["service_request_id"]
    assert again["Idempotent-Replayed"] == "true"
    assert ServiceRequest.objects.count() == count
    # The insert finds the key taken (ON CONFLICT on PostgreSQL, the unique constraint elsewhere); only then is
    # the first request read: its id, then the request with its service. The replay's number is a gap.
    refused = filing(requester=False)[:2]
    looked_up = [("SELECT", "requests_servicerequest"), ("SELECT", "requests_servicerequest")]
    if connection.vendor != "postgresql":
        looked_up.insert(0, ("SELECT", "requests_servicerequest"))  # the IntegrityError was the key's
    assert statements(captured) == [*refused, *looked_up]


def test_a_batch_post_writes_its_token_without_looking_for_one(client, service, key):
    service.open311_type = Service.Open311Type.BATCH
    service.save()
    post(client, form(key, service))

    with CaptureQueriesContext(connection) as captured:
        response = post(client, form(key, service, client_request_id="b-1", email="pat@example.org"))

    token = answer(response)[0]["token"]
    assert statements(captured) == [*filing(), ("INSERT", "open311_batchtoken")]
    filed = BatchToken.objects.get(token=token).service_request
    assert filed is not None and filed.idempotency_key is not None
    assert filed.idempotency_key.endswith(":b-1")
    assert answer(post(client, form(key, service, client_request_id="b-1")))[0]["token"] == token


def test_the_first_post_in_a_process_reads_the_city_and_its_catalogue_once(client, service, key):
    select_attribute(service, "size", ["small", "large"])
    places.forget_cached_geography()
    catalogue.forget_cached_catalogue()

    with CaptureQueriesContext(connection) as cold:
        assert post(client, form(key, service, **{"attribute[size]": "small"})).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert post(client, form(key, service, **{"attribute[size]": "large"})).status_code == 200

    read_once = [
        ("SELECT", "jurisdictions_jurisdiction"),
        ("SELECT", "jurisdictions_holiday"),
        ("SELECT", "jurisdictions_neighborhood"),
        ("SELECT", "catalogue_service"),
        ("SELECT", "catalogue_serviceattribute"),
        ("SELECT", "catalogue_attributevalue"),
        ("SELECT", "catalogue_routingrule"),
    ]
    # The key's first call reads it (then kept in the shared cache) and records when it was used (once a minute).
    last_used = [("SELECT", "open311_apikey"), ("UPDATE", "open311_apikey")]
    assert sorted(statements(cold)) == sorted([*statements(warm), *read_once, *last_used])
    assert not set(read_once) & set(statements(warm))


def test_the_open311_404_asks_the_database_nothing_once_the_city_is_known(client, jurisdiction):
    client.get("/open311/v2/no-such-method.json")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/open311/v2/no-such-method.json")
    assert response.status_code == 404
    assert statements(captured) == []


# --- the catalogue kept by each process ------------------------------------------------------------------


def test_a_new_required_question_is_asked_by_the_next_post(client, service, key):
    assert post(client, form(key, service)).status_code == 200
    ServiceAttributeFactory(service=service, code="material", required=True)

    response = post(client, form(key, service))

    assert response.status_code == 400
    assert "attribute[material]" in descriptions(response)


def test_a_new_choice_is_accepted_by_the_next_post(client, service, key):
    attribute = select_attribute(service, "size", ["small"])
    assert post(client, form(key, service, **{"attribute[size]": "huge"})).status_code == 400
    AttributeValueFactory(attribute=attribute, key="huge", name="Huge")

    assert post(client, form(key, service, **{"attribute[size]": "huge"})).status_code == 200


def test_a_new_safety_rule_answers_the_next_post_and_a_deleted_one_no_longer_does(client, service, key):
    select_attribute(service, "gas", ["yes", "no"])
    assert post(client, form(key, service, **{"attribute[gas]": "yes"})).status_code == 200
    rule = RoutingRuleFactory(
        service=service,
        kind=RoutingRule.Kind.CANNED_ANSWER,
        attribute_code="gas",
        attribute_value="yes",
        message="Call 911 now.",
    )

    refused = post(client, form(key, service, **{"attribute[gas]": "yes"}))
    assert refused.status_code == 400
    assert "Call 911 now." in descriptions(refused)

    rule.delete()
    assert post(client, form(key, service, **{"attribute[gas]": "yes"})).status_code == 200


def test_a_service_moved_to_another_department_sends_the_next_request_there(client, service, key, jurisdiction):
    post(client, form(key, service))
    parks = DepartmentFactory(jurisdiction=jurisdiction, slug="parks", name="Parks")
    service.department = parks
    service.save()

    number = answer(post(client, form(key, service)))[0]["service_request_id"]

    assert ServiceRequest.objects.get(tracking_number=number).department == parks


def test_a_service_no_longer_offered_refuses_the_next_post(client, service, key):
    post(client, form(key, service))
    service.is_active = False
    service.save()

    response = post(client, form(key, service))

    assert response.status_code == 400
    assert service.code in descriptions(response)


def test_a_department_saved_is_seen_by_the_next_post(client, service, key):
    post(client, form(key, service))
    department = service.department
    department.name = "Streets and Sanitation"
    department.save()

    kept = catalogue.service_for_report(service.jurisdiction, service.code)

    assert kept.department.name == "Streets and Sanitation"


def test_another_process_s_change_is_seen_once_the_kept_catalogue_is_too_old(client, service, key, monkeypatch):
    post(client, form(key, service))
    # A change that sends no signal here, as one made in another process.
    Service.objects.filter(pk=service.pk).update(is_active=False)
    assert post(client, form(key, service)).status_code == 200, "kept for CATALOGUE_CACHE_SECONDS"

    monkeypatch.setattr(catalogue._catalogues, "seconds", 0)  # that time has passed

    assert post(client, form(key, service)).status_code == 400


def test_an_unknown_service_code_asks_the_database_nothing(service, jurisdiction):
    catalogue.service_for_report(jurisdiction, service.code)
    with CaptureQueriesContext(connection) as captured:
        for code in ("SR-NOPE", "sr-t00", service.code + " x"):
            with pytest.raises(Exception, match="no service"):
                catalogue.service_for_report(jurisdiction, code)
    assert statements(captured) == []


def test_each_city_keeps_its_own_catalogue(service, jurisdiction):
    county = JurisdictionFactory(slug="county", name="County", jurisdiction_id="county.gov", is_default=False)
    county_service = type(service).objects.get(pk=service.pk)
    county_service.pk = None
    county_service.jurisdiction = county
    county_service.department = DepartmentFactory(jurisdiction=county)
    county_service.group = service.group
    county_service.save()

    assert catalogue.service_for_report(jurisdiction, service.code).pk == service.pk
    assert catalogue.service_for_report(county, service.code).pk == county_service.pk
    assert catalogue.service_for_report(county, service.code).jurisdiction.pk == county.pk


def test_a_value_forgotten_while_it_was_built_is_used_once_and_not_kept():
    cache: ProcessCache[int, str] = ProcessCache(60)
    built: list[str] = []

    def build_while_a_save_forgets() -> str:
        built.append("old rows")
        cache.forget(1)  # another thread saved and forgot, after this build read the rows
        return "old rows"

    assert cache.get(1, build_while_a_save_forgets) == "old rows"
    assert cache.get(1, lambda: "new rows") == "new rows"
    assert cache.get(1, lambda: "not asked") == "new rows"
    assert built == ["old rows"]


# --- the jurisdictions kept by each process --------------------------------------------------------------


def test_new_bounds_are_seen_by_the_next_post(client, service, key, jurisdiction):
    assert post(client, form(key, service)).status_code == 200
    city = Jurisdiction.objects.get(pk=jurisdiction.pk)
    city.min_lat = 40.0  # City Hall is at 39.95
    city.save()

    response = post(client, form(key, service))

    assert response.status_code == 400
    assert "outside" in descriptions(response)


def test_a_second_jurisdiction_is_seen_by_the_next_post(client, service, key):
    assert post(client, form(key, service)).status_code == 200
    assert post(client, form(key, service, jurisdiction_id="county.gov")).status_code == 404
    JurisdictionFactory(slug="county", name="County", jurisdiction_id="county.gov", is_default=False)

    # The county is known at once: its id names it (and Philadelphia's key is not valid there)...
    response = post(client, form(key, service, jurisdiction_id="county.gov"))
    assert response.status_code == 403
    assert "jurisdiction" in descriptions(response)
    # ...while Philadelphia's clients, which never send jurisdiction_id, keep posting to Philadelphia.
    assert post(client, form(key, service)).status_code == 200


def test_a_changed_open311_id_is_seen_at_once(client, service, key, jurisdiction):
    assert post(client, form(key, service, jurisdiction_id="PHILA.gov ")).status_code == 200
    city = Jurisdiction.objects.get(pk=jurisdiction.pk)  # as the admin does: with the current tracking number
    city.jurisdiction_id = "philadelphia.gov"
    city.save()

    assert post(client, form(key, service, jurisdiction_id="phila.gov")).status_code == 404
    assert post(client, form(key, service, jurisdiction_id="philadelphia.gov")).status_code == 200


def known(jurisdiction: Jurisdiction | None) -> Jurisdiction:
    assert jurisdiction is not None, "no jurisdiction found"
    return jurisdiction


def test_the_host_picks_its_jurisdiction_and_a_new_host_is_seen_at_once(jurisdiction):
    county = JurisdictionFactory(slug="county", name="County", jurisdiction_id="county.gov", is_default=False)
    assert known(places.jurisdiction_for_host("311.county.gov:8443")).pk == jurisdiction.pk  # the default

    county.host = "311.County.gov"
    county.save()

    assert known(places.jurisdiction_for_host("311.county.gov:8443")).pk == county.pk
    assert known(places.jurisdiction_for_host("elsewhere.example")).pk == jurisdiction.pk
    assert known(places.default_jurisdiction()).pk == jurisdiction.pk


def test_no_jurisdiction_yet_is_no_jurisdiction(db):
    assert places.jurisdiction_for_host("localhost") is None
    assert places.default_jurisdiction() is None
    assert places.only_jurisdictions() == []
    JurisdictionFactory()
    assert places.default_jurisdiction() is not None


def test_each_caller_gets_its_own_copy_of_a_kept_jurisdiction(jurisdiction):
    mine = known(places.jurisdiction_for_host("localhost"))
    mine.name = "Changed by one request"

    assert known(places.jurisdiction_for_host("localhost")).name == "Philadelphia"
    assert known(places.jurisdiction_by_open311_id("phila.gov")).name == "Philadelphia"


def test_another_process_s_jurisdiction_change_is_seen_once_the_kept_one_is_too_old(jurisdiction, monkeypatch):
    assert known(places.default_jurisdiction()).name == "Philadelphia"
    Jurisdiction.objects.filter(pk=jurisdiction.pk).update(name="City of Philadelphia")  # no signal here
    assert known(places.default_jurisdiction()).name == "Philadelphia"

    monkeypatch.setattr(places._jurisdictions, "seconds", 0)

    assert known(places.default_jurisdiction()).name == "City of Philadelphia"


# --- API keys: one statement per call, never a stale answer --------------------------------------------


def test_a_key_revoked_after_use_is_refused_at_once(client, service, key, issued):
    assert post(client, form(key, service)).status_code == 200
    open311.revoke_key(issued.api_key)

    response = post(client, form(key, service))

    assert response.status_code == 403
    assert "revoked" in descriptions(response)


def test_a_key_moved_to_another_city_after_use_is_refused_here_at_once(client, service, key, issued):
    assert post(client, form(key, service)).status_code == 200
    issued.api_key.jurisdiction = JurisdictionFactory(
        slug="county", name="County", jurisdiction_id="county.gov", is_default=False
    )
    issued.api_key.save()

    response = post(client, form(key, service, jurisdiction_id="phila.gov"))

    assert response.status_code == 403
    assert "jurisdiction" in descriptions(response)


def test_a_renamed_key_files_under_its_new_name(client, service, key, issued):
    post(client, form(key, service))
    issued.api_key.name = "FixMyStreet (Bristol)"
    issued.api_key.save()

    number = answer(post(client, form(key, service)))[0]["service_request_id"]

    opened = HistoryEntry.objects.get(service_request__tracking_number=number, kind=HistoryEntry.Kind.OPENED)
    assert opened.actor_label == "FixMyStreet (Bristol)"


def test_authenticate_counts_the_call_and_returns_the_whole_key(jurisdiction, key, issued):
    now = timezone.now()

    api_key = open311.authenticate(jurisdiction, key, now=now)

    assert (api_key.pk, api_key.name, api_key.jurisdiction_id) == (issued.api_key.pk, "FixMyStreet", jurisdiction.pk)
    assert api_key.contact_email == "dev@example.org"  # read when asked for
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == now


def test_the_limit_is_counted_and_refuses_past_it(jurisdiction, key, issued):
    ApiKey.objects.filter(pk=issued.api_key.pk).update(requests_per_minute=2)
    now = timezone.now()
    open311.authenticate(jurisdiction, key, now=now)
    open311.authenticate(jurisdiction, key, now=now)

    with pytest.raises(open311.RateLimited) as limited:
        open311.authenticate(jurisdiction, key, now=now)

    assert 1 <= limited.value.retry_after <= 60
    assert ApiKeyActivity.objects.filter(action=ApiKeyActivity.Action.REFUSED).count() == 1
    # A new window opens when Retry-After said it would.
    later = now + dt.timedelta(seconds=limited.value.retry_after)
    assert open311.authenticate(jurisdiction, key, now=later).pk == issued.api_key.pk


@pytest.mark.parametrize("presented", ["", "   ", "x" * 201, "not-a-key"])
def test_a_missing_overlong_or_unknown_key_is_refused(jurisdiction, presented):
    with pytest.raises(open311.KeyRefused):
        open311.authenticate(jurisdiction, presented)


# --- tracking numbers ------------------------------------------------------------------------------------


def test_tracking_numbers_are_taken_in_increasing_order_and_never_twice(jurisdiction):
    first = allocate_tracking_numbers(jurisdiction, 3)
    second = allocate_tracking_numbers(jurisdiction, 1)

    assert first == [10_000_001, 10_000_002, 10_000_003]  # nobody else took any meanwhile
    assert second == [10_000_004]
    assert tracking_numbers.next_number(jurisdiction) == 10_000_005
    assert allocate_tracking_numbers(jurisdiction, 0) == []


def test_tracking_numbers_for_a_jurisdiction_that_is_gone_are_an_error(jurisdiction):
    gone = Jurisdiction(pk=jurisdiction.pk + 1000)
    with pytest.raises(Jurisdiction.DoesNotExist):
        allocate_tracking_numbers(gone, 1)


def test_a_revoked_or_edited_key_is_read_afresh_by_the_next_call(jurisdiction):
    issued = open311.issue_api_key(jurisdiction, "Client", requests_per_minute=5)
    assert open311.authenticate(jurisdiction, issued.key).requests_per_minute == 5  # now in the shared cache

    api_key = ApiKey.objects.get(pk=issued.api_key.pk)
    api_key.requests_per_minute = 7
    api_key.save()  # as the admin saves it
    assert open311.authenticate(jurisdiction, issued.key).requests_per_minute == 7

    open311.revoke_key(api_key)
    with pytest.raises(open311.KeyRefused):
        open311.authenticate(jurisdiction, issued.key)
