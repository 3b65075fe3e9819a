"""civic311 as the client of civic311: a city forwards a service to a county's civic311 over real HTTP.

The county is a second jurisdiction of the same deployment, served by pytest-django's live server, so the
client and the server are both the real code: our POST fields must be what our server accepts, and our
poller must understand what our GET returns.
"""

from __future__ import annotations

import pytest

from civic311.open311 import forwarding
from civic311.open311.models import ForwardedRequest, WorkOrderSystem
from civic311.open311.services import issue_api_key
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Channel, HistoryEntry, ServiceRequest

from .factories import DepartmentFactory, JurisdictionFactory, ServiceFactory, filed_request, select_attribute

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def county(db):
    return JurisdictionFactory(slug="county", name="The County", jurisdiction_id="county.example.gov", is_default=False)


@pytest.fixture
def county_service(county):
    department = DepartmentFactory(jurisdiction=county, slug="county-works", name="County Works")
    service = ServiceFactory(jurisdiction=county, department=department, code="DUMPING", name="Dumping")
    select_attribute(service, "size", ["small", "large"])
    return service


@pytest.fixture
def forwarding_to_county(live_server, department, service, county, county_service):
    select_attribute(service, "size", ["small", "large"])
    key = issue_api_key(county, "The City of Philadelphia", requests_per_minute=1000).key
    system = WorkOrderSystem.objects.create(
        department=department,
        name="County work orders",
        endpoint=f"{live_server.url}/open311/v2/",
        api_key=key,
        remote_jurisdiction_id=county.jurisdiction_id,
        service_code_map={service.code: county_service.code},
    )
    system.services.add(service)
    return system


def test_a_city_request_is_filed_in_the_county_and_its_close_comes_back(forwarding_to_county, service, county, staff):
    city_request = filed_request(
        service,
        description="Tires behind the rec center.",
        answers={"size": "large"},
        first_name="Pat",
        email="pat@example.org",
    )

    forwarded = ForwardedRequest.objects.get(service_request=city_request)
    assert forwarded.state == ForwardedRequest.State.SENT
    county_request = ServiceRequest.objects.get(jurisdiction=county, tracking_number=forwarded.external_id)
    assert county_request.service.code == "DUMPING"
    assert county_request.channel == Channel.OPEN311
    assert county_request.description == "Tires behind the rec center."
    assert county_request.attributes == {"size": "large"}
    assert (county_request.lat, county_request.long) == (city_request.lat, city_request.long)
    # The resident's details stay with the city.
    assert county_request.requester is None
    assert county_request.history.get(kind=HistoryEntry.Kind.OPENED).who == "The City of Philadelphia"

    # The answer was lost on the way (a worker died before recording it): sending again must find the
    # same county request through client_request_id, not file a second one.
    ForwardedRequest.objects.filter(pk=forwarded.pk).update(state=ForwardedRequest.State.PENDING, external_id="")
    forwarding.send(forwarded.pk)
    forwarded.refresh_from_db()
    assert forwarded.state == ForwardedRequest.State.SENT
    assert forwarded.external_id == county_request.tracking_number
    assert ServiceRequest.objects.filter(jurisdiction=county).count() == 1

    requests_services.change_status(county_request, Status.CLOSED, actor=staff, public_reason="Tires removed.")
    assert forwarding.poll_updates(forwarding_to_county, force=True) == 1
    city_request.refresh_from_db()
    assert city_request.status == Status.CLOSED
    assert city_request.status_notes == "Tires removed."
    closing = city_request.history.get(kind=HistoryEntry.Kind.STATUS, to_status=Status.CLOSED)
    assert closing.is_public and closing.who == "County work orders"

    # Polling again applies nothing twice.
    assert forwarding.poll_updates(forwarding_to_county, force=True) == 0
    assert city_request.history.filter(kind=HistoryEntry.Kind.STATUS).count() == 1
