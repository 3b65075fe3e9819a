"""Security: a post's link and media are only ever http(s) URLs, whatever a source hands over, so the console
never renders a "javascript:" or "data:" link to an agent; and the webhook refuses them outright."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from civic311.inbox.models import InboxMessage
from civic311.inbox.post_sources import Post, webhook
from civic311.inbox.services import social

pytestmark = pytest.mark.django_db

BAD = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " vbscript:x",
]


@pytest.mark.parametrize("url", BAD)
def test_a_post_with_a_script_link_is_kept_without_it(client, agent, webhook_source, url):
    post = Post(
        uri=f"https://social.example/{abs(hash(url))}",
        text="Trash on Main",
        author_handle="@ana@social.example",
        link=url,
        media_urls=(url, "https://social.example/media/1.jpg"),
    )
    receipt = social.receive_post(webhook_source, post)
    message = InboxMessage.objects.get(pk=receipt.message.pk)
    assert message.link == ""
    assert message.media_urls == ["https://social.example/media/1.jpg"]
    client.force_login(agent)
    page = client.get(reverse("console:inbox_item", args=[receipt.item.pk]))
    assert page.status_code == 200
    assert b"javascript:" not in page.content.lower() and b"data:text" not in page.content


@pytest.mark.parametrize("url", BAD)
def test_the_webhook_refuses_a_script_link(client, webhook_source, url):
    body = json.dumps(
        {"posts": [{"uri": "https://social.example/1", "text": "x", "author": {"handle": "@a"}, "link": url}]}
    ).encode()
    stamp = str(int(time.time()))
    response = client.post(
        reverse("inbox:post_hook", args=[webhook_source.webhook_token]),
        body,
        content_type="application/json",
        headers={
            webhook.TIMESTAMP_HEADER: stamp,
            webhook.SIGNATURE_HEADER: webhook.signature_of(webhook_source.signing_secret, stamp, body),
        },
    )
    assert response.status_code == 400
    assert not InboxMessage.objects.exists()


def test_a_webhook_source_without_a_secret_accepts_nothing(client, webhook_source):
    webhook_source.signing_secret = ""
    webhook_source.save()
    body = json.dumps({"posts": [{"uri": "u", "text": "x", "author": {"handle": "@a"}}]}).encode()
    stamp = str(int(time.time()))
    response = client.post(
        reverse("inbox:post_hook", args=[webhook_source.webhook_token]),
        body,
        content_type="application/json",
        headers={webhook.TIMESTAMP_HEADER: stamp, webhook.SIGNATURE_HEADER: webhook.signature_of("", stamp, body)},
    )
    assert response.status_code == 403
    assert not InboxMessage.objects.exists()
