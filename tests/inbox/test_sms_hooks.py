"""The SMS gateway's webhook (Twilio's format): signature, duplicates, floods, unknown numbers, bad posts."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import responses
from django.http import QueryDict
from django.urls import reverse

from civic311 import rate_limits
from civic311.inbox.models import InboxItem, InboxMessage, SmsNumber
from civic311.inbox.services import receiving
from civic311.inbox.sms_gateways import twilio_signature
from civic311.notifications.models import OutboundMessage

from ..factories import jpeg

URL = "http://testserver/inbox/hooks/sms/"
RESIDENT = "+12155550123"
SECRET = "sms-secret"  # the sms_number fixture's signing secret


def params(**fields: str) -> dict[str, str]:
    base = {
        "MessageSid": "SM0000000000000000000000000000001",
        "AccountSid": "AC00000000000000000000000000000000",
        "From": RESIDENT,
        "To": "+12155550311",
        "Body": "help",
        "NumMedia": "0",
    }
    base.update(fields)
    return base


def post(
    client, fields: dict[str, str], *, secret: str = SECRET, url: str = URL, signature: str | None = None, **extra
):
    signed = twilio_signature(secret, url, {name: [value] for name, value in fields.items()})
    return client.post(
        reverse("inbox:sms_hook"),
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature if signature is not None else signed,
        **extra,
    )


def test_twilios_published_example_signatures():
    # The vectors of Twilio's request-validation documentation and its SDKs' tests.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    fields = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+14158675309"],
        "Digits": ["1234"],
        "From": ["+14158675309"],
        "To": ["+18005551212"],
    }
    assert twilio_signature("12345", url, fields) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = QueryDict(mutable=True)
    for name, value in [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ]:
        repeated.appendlist(name, value)
    assert twilio_signature("12345", url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    assert twilio_signature("12345", url + "&extra=1", fields) != "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_a_signed_text_is_taken_and_answered_through_the_outbox(client, sms_number):
    response = post(client, params())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert b"<Response/>" in response.content  # the reply is never in the webhook's answer
    message = InboxMessage.objects.get(direction=InboxMessage.Direction.IN)
    assert message.external_id == "SM0000000000000000000000000000001"
    assert message.item.sms_number == sms_number
    assert message.item.sender == RESIDENT
    sent = OutboundMessage.objects.get()
    assert sent.channel == "sms" and sent.recipient == RESIDENT and "STOP" in sent.body


def test_a_forged_signature_is_refused_and_nothing_written(client, sms_number):
    response = post(client, params(), secret="not-the-secret")
    assert response.status_code == 403
    assert post(client, params(), signature="").status_code == 403
    assert not InboxMessage.objects.exists() and not OutboundMessage.objects.exists()


def test_a_signature_for_another_url_is_refused(client, sms_number):
    assert post(client, params(), url="http://testserver/inbox/hooks/sms/?x=1").status_code == 403
    assert post(client, params(), url="https://evil.example/inbox/hooks/sms/").status_code == 403
    assert not InboxMessage.objects.exists()


def test_a_tampered_body_is_refused(client, sms_number):
    fields = params()
    signed = twilio_signature("sms-secret", URL, {name: [value] for name, value in fields.items()})
    fields["Body"] = "STOP"
    assert post(client, fields, signature=signed).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "https://sms.city.example/inbox/hooks/sms/",  # behind the city's TLS-terminating proxy
        "https://sms.city.example:443/inbox/hooks/sms/",  # signed with the default port written out
    ],
)
def test_the_url_is_the_one_the_gateway_saw_behind_the_proxy(client, sms_number, settings, url):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    settings.ALLOWED_HOSTS = ["sms.city.example", "testserver"]
    response = post(client, params(), url=url, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_HOST="sms.city.example")
    assert response.status_code == 200
    # Without the proxy's headers, the URL the server sees is not the one signed.
    assert post(client, params(MessageSid="SM2"), url=url).status_code == 403


def test_the_same_message_twice_is_one_message(client, sms_number):
    first = post(client, params())
    again = post(client, params())
    assert first.status_code == again.status_code == 200
    assert InboxMessage.objects.filter(direction=InboxMessage.Direction.IN).count() == 1
    assert OutboundMessage.objects.count() == 1  # answered once


def test_an_unknown_or_inactive_number_is_404(client, sms_number):
    assert post(client, params(To="+12155559999")).status_code == 404
    assert post(client, params(To="")).status_code == 404
    SmsNumber.objects.filter(pk=sms_number.pk).update(is_active=False)
    assert post(client, params()).status_code == 404
    assert not InboxMessage.objects.exists()


def test_the_number_is_found_however_the_gateway_writes_it(client, sms_number):
    assert post(client, params(To="+1 (215) 555-0311")).status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        params(From=""),
        params(MessageSid=""),
        params(NumMedia="two"),
        params(NumMedia="11"),
        params(NumMedia="1"),  # no MediaUrl0
        params(Body="x" * 1700),
    ],
)
def test_a_malformed_post_is_400_and_writes_nothing(client, sms_number, fields):
    response = post(client, fields)
    assert response.status_code == 400
    assert not InboxMessage.objects.exists() and not OutboundMessage.objects.exists()


def test_not_a_form_post_is_400(client, sms_number):
    response = client.post(reverse("inbox:sms_hook"), b'{"From": "x"}', content_type="application/json")
    assert response.status_code == 400


def test_an_oversize_post_is_413(client, sms_number):
    response = post(client, params(Body="x" * 70_000))
    assert response.status_code == 413


def test_only_post(client, sms_number):
    assert client.get(reverse("inbox:sms_hook")).status_code == 405


def test_a_flood_from_one_sender_is_429_with_retry_after(client, sms_number, monkeypatch):
    monkeypatch.setattr(receiving, "SENDER_RATE", rate_limits.Rate("inbox-sender", 2, 600))
    for index in range(2):
        assert post(client, params(MessageSid=f"SM{index}", Body="a pothole on my street")).status_code == 200
    flooded = post(client, params(MessageSid="SM9", Body="a pothole on my street"))
    assert flooded.status_code == 429
    assert int(flooded["Retry-After"]) > 0
    assert not InboxMessage.objects.filter(external_id="SM9").exists()
    # Another resident is not held back by the first one's flood.
    assert post(client, params(MessageSid="SM10", From="+12155550999")).status_code == 200
    assert InboxItem.objects.count() == 2


def test_a_picture_messages_photo_is_fetched_from_the_gateway(client, sms_number):
    media_url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    fields = params(Body="pothole", NumMedia="1", MediaUrl0=media_url, MediaContentType0="image/jpeg")
    with responses.RequestsMock() as mock:
        mock.get(media_url, body=jpeg().read(), content_type="image/jpeg")
        assert post(client, fields).status_code == 200
    message = InboxMessage.objects.get(direction=InboxMessage.Direction.IN)
    assert message.attachments.count() == 1 and message.media_urls == [media_url]


def test_a_refused_sender_fetches_nothing(client, sms_number):
    media_url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    fields = params(NumMedia="1", MediaUrl0=media_url, MediaContentType0="image/jpeg")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(media_url, body=jpeg().read(), content_type="image/jpeg")
        assert post(client, fields, secret="forged").status_code == 403
        assert len(mock.calls) == 0
