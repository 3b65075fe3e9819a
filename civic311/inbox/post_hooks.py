"""The social post webhook: `/inbox/hooks/posts/<token>/`, for a source of the webhook kind.

Answers (a short JSON body `{"error": ...}` on a refusal):
- 404: no active webhook source has this token;
- 413: a body over `webhook.MAX_BODY_BYTES`, or more than `webhook.MAX_POSTS` posts;
- 403: a missing or wrong signature, or a timestamp more than five minutes off (stale);
- 400: a body that is not the webhook's JSON (every post is checked before any is received);
- 409: a replay, the same signed request again (its signature is remembered for a day); 409 rather than 403
  because the request was genuine once: a sender that retries after a lost answer sees that it arrived;
- 429 with Retry-After: too many requests for this source, or too many posts from one author;
- 200: `{"received": n, "duplicates": m}` (a post received before is a duplicate, not an error).
The replay guard's record is written in the receiving transaction: a request refused for a flood or bad
content can be sent again as is.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civic311 import rate_limits

from . import signatures
from .models import PostSource
from .post_sources import webhook
from .services import social
from .services.receiving import Flooded

logger = logging.getLogger(__name__)

# Requests per source per minute; a sender over it is told when to retry.
REQUEST_RATE = rate_limits.Rate("inbox-post-hook", 60, 60)


def _refuse(status: int, message: str, *, retry_after: int | None = None) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(max(1, retry_after))
    return response


def _read_body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is over the limit (read no further than the limit)."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > webhook.MAX_BODY_BYTES:
        return None
    body = request.read(webhook.MAX_BODY_BYTES + 1)
    return None if len(body) > webhook.MAX_BODY_BYTES else body


@csrf_exempt
@require_POST
def inbound_posts(request: HttpRequest, token: str) -> HttpResponse:
    source = (
        PostSource.objects.select_related("jurisdiction")
        .filter(webhook_token=token, kind=PostSource.Kind.WEBHOOK, is_active=True)
        .first()
    )
    if source is None:
        return _refuse(404, _("No such source."))
    body = _read_body(request)
    if body is None:
        return _refuse(413, _("The request is too large."))
    timestamp = request.headers.get(webhook.TIMESTAMP_HEADER, "")
    signature = request.headers.get(webhook.SIGNATURE_HEADER, "")
    if not webhook.signed(source.signing_secret, timestamp, body, signature):
        logger.warning("post hook: bad signature for source %s", source.pk)
        return _refuse(403, _("The signature does not match."))
    now = timezone.now()
    if not signatures.is_fresh(timestamp, now=now):
        return _refuse(403, _("The request is too old (or the sender's clock is wrong)."))
    # Counted only once signed: whoever holds the URL but not the secret cannot use up the sender's allowance.
    verdict = rate_limits.hit(REQUEST_RATE, str(source.pk))
    if not verdict.allowed:
        return _refuse(429, _("Too many requests; try again later."), retry_after=verdict.retry_after)
    try:
        posts = webhook.parse(body)
    except webhook.TooMany as error:
        return _refuse(413, str(error))
    except webhook.Malformed as error:
        return _refuse(400, str(error))
    try:
        with transaction.atomic():
            if not signatures.first_use(f"posts:{source.pk}", signature.strip(), now=now):
                return _refuse(409, _("This request was received before."))
            result = social.receive_posts(source, posts, now=now)
    except Flooded as flood:
        return _refuse(429, _("Too many posts from one author; try again later."), retry_after=flood.retry_after)
    except ValidationError as error:
        return _refuse(400, "; ".join(error.messages))
    logger.info("post hook: source %s, %s received, %s duplicates", source.pk, result.received, result.duplicates)
    return JsonResponse({"received": result.received, "duplicates": result.duplicates})
