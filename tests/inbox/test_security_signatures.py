"""Security: a door whose secret is empty accepts nothing, even a request "signed" with the empty secret; the
SMS media fetch sends the gateway's credentials to the gateway's host only."""

from __future__ import annotations

import pytest
import responses

from civic311.inbox import sms_gateways
from civic311.inbox.models import InboxMessage

from .test_email_parsing import mail
from .test_email_webhook import post_mime, signed
from .test_sms_hooks import params, post

pytestmark = pytest.mark.django_db


def test_a_mailbox_without_a_signing_key_accepts_nothing(client, mailbox):
    mailbox.signing_key = ""
    mailbox.save()
    response = post_mime(client, mailbox, mail(), signed(""))
    assert response.status_code == 404
    assert not InboxMessage.objects.exists()


def test_a_number_without_a_secret_accepts_nothing(client, sms_number):
    sms_number.signing_secret = ""
    sms_number.save()
    response = post(client, params(), secret="")
    assert response.status_code == 403
    assert not InboxMessage.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://api.twilio.com/media/1",  # not https
        "https://evil.example/media/1",
        "https://api.twilio.com.evil.example/media/1",
        "https://user:pw@api.twilio.com/media/1",
        "file:///etc/passwd",
        "https://127.0.0.1/media/1",
    ],
)
def test_media_is_fetched_from_the_gateway_only(sms_number, url):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.get(url.replace("user:pw@", ""), body=b"x")
        with pytest.raises(sms_gateways.MediaRefused):
            sms_gateways.fetch_media(sms_number, url, max_bytes=1000)
        assert len(mocked.calls) == 0


def test_media_credentials_never_follow_a_redirect(sms_number):
    sms_number.media_username, sms_number.media_password = "AC1", "token"
    with responses.RequestsMock() as mocked:
        mocked.get("https://api.twilio.com/media/1", status=302, headers={"Location": "https://media.twiliocdn.com/x"})
        mocked.get("https://media.twiliocdn.com/x", body=b"\xff\xd8", headers={"Content-Type": "image/jpeg"})
        content, content_type = sms_gateways.fetch_media(sms_number, "https://api.twilio.com/media/1", max_bytes=1000)
        assert content == b"\xff\xd8" and content_type == "image/jpeg"
        assert "Authorization" in mocked.calls[0].request.headers
        assert "Authorization" not in mocked.calls[1].request.headers


def test_media_is_not_redirected_off_the_gateways_hosts(sms_number):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.get("https://api.twilio.com/media/1", status=302, headers={"Location": "http://169.254.169.254/"})
        internal = mocked.get("http://169.254.169.254/", body=b"secret")
        with pytest.raises(sms_gateways.MediaRefused):
            sms_gateways.fetch_media(sms_number, "https://api.twilio.com/media/1", max_bytes=1000)
        assert internal.call_count == 0
