"""Open311 POST requests and GET tokens/{token}: API keys, rate limits, attributes, media, idempotency,
batch tokens, the audit and the admin that issues and revokes keys, all through the test client."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civic311.catalogue.models import RoutingRule, Service, ServiceAttribute
from civic311.open311 import services as open311
from civic311.open311.models import ApiKey, ApiKeyActivity, BatchToken
from civic311.open311.selectors import hash_key
from civic311.service_requests import services as requests_services
from civic311.service_requests.models import Channel, Contact, HistoryEntry, Photo, ServiceRequest

from .factories import (
    JurisdictionFactory,
    RoutingRuleFactory,
    ServiceAttributeFactory,
    ServiceFactory,
    StaffFactory,
    jpeg,
    select_attribute,
)

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests.{fmt}"
CITY_HALL = {"lat": "39.9526", "long": "-75.1635"}


@pytest.fixture
def issued(jurisdiction):
    return open311.issue_api_key(jurisdiction, "FixMyStreet", contact_email="dev@example.org")


@pytest.fixture
def key(issued):
    return issued.key


def post(client, data, fmt="json", **kwargs):
    return client.post(URL.format(fmt=fmt), data, **kwargs)


def body(response):
    return json.loads(response.content)


def xml(response):
    text = response.content.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(text.split("?>", 1)[1])  # noqa: S314  (our own output)


def report(key, service, **extra):
    return {"api_key": key, "service_code": service.code, **CITY_HALL, "description": "Tires in the alley.", **extra}


def assert_error(response, status, pattern, fmt="json"):
    assert response.status_code == status
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        errors = body(response)
        assert isinstance(errors, list) and errors
        for error in errors:
            assert set(error) == {"code", "description"}
            assert error["code"] == status and isinstance(error["code"], int)
        assert any(re.search(pattern, error["description"]) for error in errors), errors
    else:
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        root = xml(response)
        assert root.tag == "errors"
        descriptions = []
        for error in root:
            assert error.tag == "error"
            assert [child.tag for child in error] == ["code", "description"]
            assert error.findtext("code") == str(status)
            descriptions.append(error.findtext("description"))
        assert any(re.search(pattern, text or "") for text in descriptions), descriptions


def nothing_written():
    assert ServiceRequest.objects.count() == 0
    assert HistoryEntry.objects.count() == 0
    assert ApiKeyActivity.objects.exclude(action=ApiKeyActivity.Action.REFUSED).count() == 0
    assert BatchToken.objects.count() == 0
    assert Photo.objects.count() == 0


# --- success ------------------------------------------------------------------------------------------


def test_post_json_answers_a_list_of_one_request(client, service, key, issued):
    response = post(client, report(key, service, account_id="acct-7"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    filed = ServiceRequest.objects.get()
    assert body(response) == [
        {"service_request_id": filed.tracking_number, "service_notice": "5 Business Days", "account_id": "acct-7"}
    ]
    assert "Idempotent-Replayed" not in response
    assert filed.channel == Channel.OPEN311
    assert filed.description == "Tires in the alley."
    assert (filed.lat, filed.long) == (39.9526, -75.1635)
    opened = filed.history.get(kind=HistoryEntry.Kind.OPENED)
    assert opened.actor_id is None and opened.actor_label == "FixMyStreet"
    activity = ApiKeyActivity.objects.get()
    assert (activity.api_key, activity.action, activity.service_request) == (
        issued.api_key,
        ApiKeyActivity.Action.CREATED_REQUEST,
        filed,
    )
    issued.api_key.refresh_from_db()
    assert issued.api_key.last_used_at is not None


def test_post_xml_is_the_same_request_in_xml(client, service, key):
    response = post(client, report(key, service), fmt="xml")
    assert response.status_code == 200
    number = ServiceRequest.objects.get().tracking_number
    assert response.content.decode() == (
        '<?xml version="1.0" encoding="utf-8"?><service_requests><request>'
        f"<service_request_id>{number}</service_request_id><service_notice>5 Business Days</service_notice>"
        "<account_id></account_id></request></service_requests>"
    )


def test_fields_may_come_in_the_query_string(client, service, key):
    query = "&".join(f"{name}={value}" for name, value in report(key, service).items() if name != "description")
    response = client.post(f"/open311/v2/requests.json?{query}", {"description": "From the body."})
    assert response.status_code == 200, response.content
    assert ServiceRequest.objects.get().description == "From the body."


def test_requester_details_are_kept_apart_and_never_echoed(client, service, key):
    response = post(
        client,
        report(
            key,
            service,
            first_name="Pat",
            last_name="Resident",
            email="pat@example.org",
            phone="215-686-8686",
            device_id="device-1",
        ),
    )
    assert response.status_code == 200
    requester = ServiceRequest.objects.get().requester
    assert requester is not None
    assert (requester.first_name, requester.last_name, requester.email, requester.phone) == (
        "Pat",
        "Resident",
        "pat@example.org",
        "+12156868686",  # E.164
    )
    assert b"pat@example.org" not in response.content


def test_address_string_alone_is_a_location(client, service, key):
    response = post(
        client, {"api_key": key, "service_code": service.code, "address_string": "1400 John F Kennedy Blvd"}
    )
    assert response.status_code == 200
    assert ServiceRequest.objects.get().address == "1400 John F Kennedy Blvd"


def test_address_id_alone_is_kept_as_the_address(client, service, key):
    response = post(client, {"api_key": key, "service_code": service.code, "address_id": "883309050"})
    assert response.status_code == 200
    assert ServiceRequest.objects.get().address == "883309050"


def test_address_string_wins_over_address_id(client, service, key):
    post(
        client, {"api_key": key, "service_code": service.code, "address_id": "883309050", "address_string": "City Hall"}
    )
    assert ServiceRequest.objects.get().address == "City Hall"


def test_attributes_single_and_multivalue(client, service, key):
    select_attribute(service, "kind", ["tires", "furniture", "trash"], multi=True)
    select_attribute(service, "size", ["small", "large"], required=True)
    ServiceAttributeFactory(service=service, code="note", datatype=ServiceAttribute.Datatype.STRING)
    response = post(
        client,
        report(
            key,
            service,
            **{
                "attribute[kind][]": ["tires", "trash"],
                "attribute[size]": "large",
                "attribute[note]": "behind the gate",
            },
        ),
    )
    assert response.status_code == 200, response.content
    assert ServiceRequest.objects.get().attributes == {
        "kind": ["tires", "trash"],
        "size": "large",
        "note": "behind the gate",
    }


def test_a_single_multivalue_answer_without_brackets_is_accepted(client, service, key):
    select_attribute(service, "kind", ["tires", "trash"], multi=True)
    response = post(client, report(key, service, **{"attribute[kind]": "tires"}))
    assert response.status_code == 200
    assert ServiceRequest.objects.get().attributes == {"kind": ["tires"]}


def test_media_upload_becomes_a_photo(client, service, key):
    response = post(client, report(key, service, media=jpeg()))
    assert response.status_code == 200, response.content
    filed = ServiceRequest.objects.get()
    photo = filed.photos.get()
    assert (photo.width, photo.height) == (64, 48)
    shown = client.get(f"/open311/v2/requests/{filed.tracking_number}.json")
    assert shown.status_code == 200
    assert body(shown)[0]["media_url"].endswith(photo.image.url)


def test_several_media_files_with_brackets(client, service, key):
    response = post(client, report(key, service, **{"media[]": [jpeg("a.jpg"), jpeg("b.png", (10, 10))]}))
    assert response.status_code == 200, response.content
    assert ServiceRequest.objects.get().photos.count() == 2


def test_media_url_is_linked(client, service, key):
    response = post(client, report(key, service, media_url="https://cdn.example.org/p/1.jpg"))
    assert response.status_code == 200
    filed = ServiceRequest.objects.get()
    assert filed.media_url == "https://cdn.example.org/p/1.jpg"
    assert body(client.get(f"/open311/v2/requests/{filed.tracking_number}.json"))[0]["media_url"] == (
        "https://cdn.example.org/p/1.jpg"
    )


# --- idempotency --------------------------------------------------------------------------------------


def test_client_request_id_returns_the_first_request_again(client, service, key):
    first = post(client, report(key, service, client_request_id="fms-123"))
    again = post(client, report(key, service, client_request_id="fms-123", description="Sent twice."))
    assert first.status_code == again.status_code == 200
    assert body(first) == body(again)
    assert again["Idempotent-Replayed"] == "true"
    assert ServiceRequest.objects.count() == 1
    assert ApiKeyActivity.objects.filter(action=ApiKeyActivity.Action.CREATED_REQUEST).count() == 1


def test_idempotency_key_header_returns_the_first_request_again(client, service, key):
    first = post(client, report(key, service), headers={"Idempotency-Key": "b7c1"})
    again = post(client, report(key, service), headers={"Idempotency-Key": "b7c1"})
    other = post(client, report(key, service), headers={"Idempotency-Key": "b7c2"})
    assert body(first) == body(again) != body(other)
    assert ServiceRequest.objects.count() == 2


def test_two_clients_may_use_the_same_client_request_id(client, service, jurisdiction, key):
    other_key = open311.issue_api_key(jurisdiction, "City app").key
    first = post(client, report(key, service, client_request_id="1"))
    second = post(client, report(other_key, service, client_request_id="1"))
    assert body(first) != body(second)
    assert ServiceRequest.objects.count() == 2


def test_an_overlong_client_request_id_is_refused(client, service, key):
    response = post(client, report(key, service, client_request_id="x" * 81))
    assert_error(response, 400, r"^client_request_id: ")
    nothing_written()


# --- batch services and tokens ------------------------------------------------------------------------


@pytest.fixture
def batch_service(jurisdiction, department):
    return ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="SR-BATCH",
        open311_type=Service.Open311Type.BATCH,
        service_notice="Reviewed weekly",
    )


def test_batch_service_answers_with_a_token_that_resolves_to_the_id(client, batch_service, key):
    response = post(client, report(key, batch_service, account_id="a1"))
    assert response.status_code == 200
    [item] = body(response)
    assert set(item) == {"token", "service_notice", "account_id"}
    assert (item["service_notice"], item["account_id"]) == ("Reviewed weekly", "a1")
    filed = ServiceRequest.objects.get()
    assert filed.tracking_number not in response.content.decode()

    resolved = client.get(f"/open311/v2/tokens/{item['token']}.json")
    assert resolved.status_code == 200
    assert body(resolved) == [{"service_request_id": filed.tracking_number, "token": item["token"]}]
    resolved_xml = client.get(f"/open311/v2/tokens/{item['token']}.xml")
    assert resolved_xml.content.decode() == (
        '<?xml version="1.0" encoding="utf-8"?><service_requests><request>'
        f"<service_request_id>{filed.tracking_number}</service_request_id><token>{item['token']}</token>"
        "</request></service_requests>"
    )


def test_batch_post_in_xml(client, batch_service, key):
    root = xml(post(client, report(key, batch_service), fmt="xml"))
    assert root.tag == "service_requests"
    assert [child.tag for child in root.find("request")] == ["token", "service_notice", "account_id"]


def test_batch_repeat_returns_the_same_token(client, batch_service, key):
    first = post(client, report(key, batch_service, client_request_id="r1"))
    again = post(client, report(key, batch_service, client_request_id="r1"))
    assert body(first) == body(again)
    assert BatchToken.objects.count() == 1


def test_unknown_token_is_404(client, jurisdiction):
    assert_error(client.get("/open311/v2/tokens/nope.json"), 404, "nope")
    assert_error(client.get("/open311/v2/tokens/nope.xml"), 404, "nope", fmt="xml")


def test_token_of_a_private_request_is_404(client, batch_service, key, staff):
    token = body(post(client, report(key, batch_service)))[0]["token"]
    requests_services.update_details(ServiceRequest.objects.get(), {"is_private": True}, actor=staff)
    assert_error(client.get(f"/open311/v2/tokens/{token}.json"), 404, "token")


# --- keys ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_key_is_403(client, service, fmt):
    data = report("", service)
    del data["api_key"]
    assert_error(post(client, data, fmt=fmt), 403, r"api_key is required", fmt=fmt)
    nothing_written()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_key_is_403(client, service, key, fmt):
    assert_error(post(client, report(key + "x", service), fmt=fmt), 403, r"not valid", fmt=fmt)
    assert_error(post(client, report("k" * 5000, service), fmt=fmt), 403, r"not valid", fmt=fmt)
    nothing_written()


def test_revoked_key_is_403(client, service, issued):
    assert open311.revoke_key(issued.api_key)
    assert_error(post(client, report(issued.key, service)), 403, r"revoked")
    nothing_written()


def test_key_of_another_jurisdiction_is_403(client, service, jurisdiction):
    other = JurisdictionFactory(
        slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pittsburghpa.gov", is_default=False
    )
    other_key = open311.issue_api_key(other, "Pittsburgh app").key
    response = post(client, report(other_key, service, jurisdiction_id="phila.gov"))
    assert_error(response, 403, r"not valid for this jurisdiction")
    nothing_written()


def test_only_the_hash_and_a_prefix_are_stored(issued):
    stored = ApiKey.objects.get()
    assert len(issued.key) >= 43
    assert stored.prefix == issued.key[:8]
    assert stored.key_hash == hash_key(issued.key) != issued.key
    assert issued.key not in {str(value) for value in ApiKey.objects.values().get().values()}


# --- rate limit ---------------------------------------------------------------------------------------


def test_over_the_rate_limit_is_429_with_retry_after(client, service, jurisdiction):
    limited = open311.issue_api_key(jurisdiction, "Busy client", requests_per_minute=2)
    # Time stands still inside the minute: on a slow machine four POSTs could otherwise straddle two windows.
    start = timezone.now().replace(second=5, microsecond=0)
    with time_machine.travel(start, tick=False):
        assert post(client, report(limited.key, service)).status_code == 200
        assert post(client, report(limited.key, service)).status_code == 200
        refused = post(client, report(limited.key, service))
        assert_error(refused, 429, r"Too many requests")
        assert 1 <= int(refused["Retry-After"]) <= 60
        refused_xml = post(client, report(limited.key, service), fmt="xml")
        assert_error(refused_xml, 429, r"Too many requests", fmt="xml")
    assert ServiceRequest.objects.count() == 2
    assert ApiKeyActivity.objects.filter(action=ApiKeyActivity.Action.REFUSED).count() == 2

    # The next minute has room again.
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert post(client, report(limited.key, service)).status_code == 200


def test_a_limit_of_zero_pauses_the_key(client, service, jurisdiction):
    paused = open311.issue_api_key(jurisdiction, "Paused", requests_per_minute=0)
    response = post(client, report(paused.key, service))
    assert_error(response, 429, "Too many requests")
    assert response["Retry-After"] == "60"
    nothing_written()


def test_rate_limit_counts_in_the_shared_cache_per_key(issued, jurisdiction):
    api_key = issued.api_key
    ApiKey.objects.filter(pk=api_key.pk).update(requests_per_minute=3)
    api_key.refresh_from_db()
    now = timezone.now()
    for second in range(3):
        open311.take_turn(api_key, now=now + dt.timedelta(seconds=second / 10))
    # "Last used" is written at most once a minute, not on every call.
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == now
    with pytest.raises(open311.RateLimited) as raised:
        open311.take_turn(api_key, now=now)
    assert 1 <= raised.value.retry_after <= 60
    # The window ends when Retry-After says, and then there is room again.
    open311.take_turn(api_key, now=now + dt.timedelta(seconds=raised.value.retry_after))


# --- errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_400_naming_the_field(client, jurisdiction, key, fmt):
    response = post(client, {"api_key": key, "service_code": "NOPE", **CITY_HALL}, fmt=fmt)
    assert_error(response, 400, r"^service_code: There is no service with the code “NOPE”", fmt=fmt)
    nothing_written()


def test_required_attribute_missing_names_its_code(client, service, key):
    select_attribute(service, "size", ["small", "large"], required=True)
    label = service.attributes.get(code="size").description
    # The code is in the error's `attribute[CODE]:` prefix; the message itself is the one residents read.
    assert_error(post(client, report(key, service)), 400, rf"^attribute\[size\]: “{re.escape(label)}” is required\.$")
    nothing_written()


def test_unknown_attribute_is_400(client, service, key):
    assert_error(post(client, report(key, service, **{"attribute[ghost]": "boo"})), 400, r"^attribute\[ghost\]: ")
    nothing_written()


def test_several_values_for_a_single_value_attribute_is_400(client, service, key):
    select_attribute(service, "size", ["small", "large"])
    response = post(client, report(key, service, **{"attribute[size][]": ["small", "large"]}))
    assert_error(response, 400, r"^attribute\[size\]: .*one answer")


def test_description_over_4000_characters_is_400(client, service, key):
    assert post(client, report(key, service, description="x" * 4000)).status_code == 200
    response = post(client, report(key, service, description="x" * 4001))
    assert_error(response, 400, r"^description: .*4000")
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "pattern"),
    [
        ({"lat": "abc"}, r"^lat: "),
        ({"lat": "39.95", "long": ""}, r"^long: "),
        ({"lat": "10", "long": "10"}, r"^location: .*outside"),
        ({"email": "not-an-email"}, r"^email: "),
        ({"phone": "12"}, r"^phone: "),
        ({"media_url": "javascript:alert(1)"}, r"^media_url: "),
        ({"description": "a\x00b"}, r"NUL"),
        ({"device_id": "d" * 20_000}, r"device_id is too long"),
    ],
)
def test_bad_fields_are_400_naming_the_field(client, service, key, fields, pattern):
    assert_error(post(client, report(key, service, **fields)), 400, pattern)
    nothing_written()


def test_no_location_is_400(client, service, key):
    response = post(client, {"api_key": key, "service_code": service.code})
    assert_error(response, 400, r"^location: ")


def test_a_file_that_is_not_a_photo_is_400_naming_media(client, service, key):
    fake = SimpleUploadedFile("evil.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    assert_error(post(client, report(key, service, media=fake)), 400, r"^media: ")
    nothing_written()


def test_canned_answer_is_400_with_the_rules_message(client, service, key):
    select_attribute(service, "smell", ["gas", "none"])
    RoutingRuleFactory(
        service=service,
        kind=RoutingRule.Kind.CANNED_ANSWER,
        attribute_code="smell",
        attribute_value="gas",
        message="Gas escaping: leave the building and call 911.",
    )
    response = post(client, report(key, service, **{"attribute[smell]": "gas"}))
    assert_error(response, 400, r"^Gas escaping: leave the building and call 911\.$")
    nothing_written()
    # The contact itself is recorded, as for every channel.
    assert Contact.objects.get().outcome == Contact.Outcome.CANNED_ANSWER


def test_get_is_still_the_list_of_requests(client, service, key):
    post(client, report(key, service))
    listed = client.get("/open311/v2/requests.json")
    assert listed.status_code == 200
    assert len(body(listed)) == 1


# --- never a 500, never HTML --------------------------------------------------------------------------


def test_bad_utf8_in_the_body(client, service, key):
    data = f"api_key={key}&service_code={service.code}&lat=39.9526&long=-75.1635&description=caf%E9%FF".encode()
    response = client.post(URL.format(fmt="json"), data, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 400)
    assert response["Content-Type"].startswith("application/json")


def test_raw_bad_bytes_in_a_multipart_body(client, service, key):
    boundary = "XyZ"
    parts = []
    for name, value in report(key, service).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="first_name"\r\n\r\n'.encode() + b"\xff\xfe\xc3(\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    response = client.post(
        URL.format(fmt="xml"), b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code in (200, 400)
    assert response["Content-Type"].startswith("text/xml")


def test_too_many_fields(client, service, key):
    data = report(key, service)
    data.update({f"f{index}": "x" for index in range(1100)})
    assert_error(post(client, data), 400, r"too large")
    nothing_written()


def test_an_oversized_body(client, service, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    assert_error(post(client, report(key, service, description="x" * 20_000)), 400, r"too large")
    nothing_written()


def test_an_oversized_photo(client, service, key, settings):
    settings.CIVIC311_PHOTO_MAX_BYTES = 1000
    big = jpeg(size=(400, 400))
    assert_error(post(client, report(key, service, media=big)), 400, r"^media: .*larger")
    nothing_written()


def test_too_many_photos(client, service, key):
    photos = [jpeg(f"p{index}.jpg") for index in range(6)]
    assert_error(post(client, report(key, service, media=photos)), 400, r"^media: .*at most 5")
    nothing_written()


def test_weird_values_never_500(client, service, jurisdiction):
    key = open311.issue_api_key(jurisdiction, "Fuzzer", requests_per_minute=10_000).key
    weird = ["", " ", "\u202e", "😀" * 100, "0" * 9000, "-1e309", "nan", "[]", "{}", "<x>", "%00"]
    for value in weird:
        for field in (
            "service_code",
            "lat",
            "long",
            "address_string",
            "attribute[x]",
            "attribute[]",
            "client_request_id",
            "media_url",
            "jurisdiction_id",
        ):
            response = post(client, report(key, service, **{field: value}))
            assert response.status_code in (200, 400, 404), (field, value, response.content)
            assert response["Content-Type"].startswith("application/json")


def test_wrong_method_is_400(client, jurisdiction):
    response = client.put(URL.format(fmt="json"))
    assert_error(response, 400, r"GET or POST")


# --- the admin issues and revokes keys ----------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    client.force_login(StaffFactory(username="root", is_superuser=True))
    return client


def test_admin_issues_a_key_shown_once(admin_client, jurisdiction, service):
    response = admin_client.post(
        "/admin/open311/apikey/add/",
        {
            "jurisdiction": jurisdiction.pk,
            "name": "FixMyStreet",
            "contact_email": "fms@example.org",
            "requests_per_minute": "30",
            "activity-TOTAL_FORMS": "0",
            "activity-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert response.redirect_chain and response.redirect_chain[0][1] == 302
    stored = ApiKey.objects.get()
    assert stored.created_by is not None
    assert (stored.name, stored.requests_per_minute, stored.created_by.username) == ("FixMyStreet", 30, "root")
    keys = re.findall(r"<code>([A-Za-z0-9_-]+)</code>", response.content.decode())
    assert len(keys) == 1
    full_key = keys[0]
    assert hash_key(full_key) == stored.key_hash and stored.prefix == full_key[:8]
    # It works, and it is never shown again.
    assert post(admin_client, report(full_key, service)).status_code == 200
    page = admin_client.get(f"/admin/open311/apikey/{stored.pk}/change/")
    assert page.status_code == 200
    assert full_key not in page.content.decode()
    assert stored.prefix in page.content.decode()
    # The audit is shown on the key's page.
    assert ServiceRequest.objects.get().tracking_number in page.content.decode()


def test_admin_revokes_by_action(admin_client, service, issued):
    response = admin_client.post(
        "/admin/open311/apikey/", {"action": "revoke_keys", "_selected_action": [issued.api_key.pk]}
    )
    assert response.status_code == 302
    assert ApiKey.objects.get().revoked_at is not None
    assert_error(post(admin_client, report(issued.key, service)), 403, "revoked")


def test_admin_revokes_with_the_field(admin_client, service, issued, jurisdiction):
    # Activity on the page must not get in the way of saving it.
    assert post(admin_client, report(issued.key, service)).status_code == 200
    page = admin_client.get(f"/admin/open311/apikey/{issued.api_key.pk}/change/")
    assert 'name="revoke"' in page.content.decode()
    response = admin_client.post(
        f"/admin/open311/apikey/{issued.api_key.pk}/change/",
        {
            "name": "FixMyStreet",
            "contact_email": "dev@example.org",
            "requests_per_minute": "60",
            "revoke": "on",
            "activity-TOTAL_FORMS": "1",
            "activity-INITIAL_FORMS": "1",
            "activity-MIN_NUM_FORMS": "0",
            "activity-MAX_NUM_FORMS": "0",
            "activity-0-id": str(ApiKeyActivity.objects.get().pk),
            "activity-0-api_key": str(issued.api_key.pk),
            "webhooks-TOTAL_FORMS": "0",
            "webhooks-INITIAL_FORMS": "0",
            "webhooks-MIN_NUM_FORMS": "0",
            "webhooks-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = ApiKey.objects.get()
    assert stored.revoked_at is not None and stored.key_hash == hash_key(issued.key)
    assert_error(post(admin_client, report(issued.key, service)), 403, "revoked")
    page = admin_client.get(f"/admin/open311/apikey/{issued.api_key.pk}/change/")
    assert 'name="revoke"' not in page.content.decode()


def test_admin_lists_of_the_audit_tokens_and_updates_open(admin_client, service, issued):
    post(admin_client, report(issued.key, service))
    for url in (
        "/admin/open311/apikey/",
        "/admin/open311/apikeyactivity/",
        "/admin/open311/batchtoken/",
        "/admin/open311/receivedupdate/",
    ):
        assert admin_client.get(url).status_code == 200, url
