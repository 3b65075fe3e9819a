"""The SMS gateway's webhook: each text a resident sends to one of the city's numbers is posted here.

The number it was sent to (`To`) names the city's `SmsNumber`, whose gateway format (`sms_gateways`) reads the
post and whose secret checks its signature. Answers: 404 for a number we do not have (or an inactive one),
403 for a bad signature, 400 for a post that is not a text message, 413 for one too large, 429 with
Retry-After for a sender over the flood limit (nothing written), and otherwise 200 with the gateway's empty
answer (TwiML `<Response/>`) — also for the same message posted twice (the gateway retries; it is one message).
Replies never go in this answer: they are written to the outbox with the message (`services.sms`), so they
are sent, retried and logged like every other text.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civic311.people.contact_details import phone_e164

from . import sms_gateways
from .models import SmsNumber
from .services import Flooded
from .services.sms import receive_text

logger = logging.getLogger(__name__)

# A text message's post is a few kilobytes (1600 characters, ten media URLs); far more is not one.
MAX_BODY_BYTES = 64 * 1024
_FORM = "application/x-www-form-urlencoded"


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest, **kwargs: str) -> HttpResponse:
    try:
        length = int(request.headers.get("Content-Length") or "0")
    except ValueError:
        return _plain("Bad Content-Length.", 400)
    if length > MAX_BODY_BYTES:
        return _plain("Too large for a text message.", 413)
    if request.content_type != _FORM:
        return _plain("Expected a form post (application/x-www-form-urlencoded).", 400)
    to = request.POST.get("To", "").strip()
    number = (
        SmsNumber.objects.select_related("jurisdiction").filter(number=phone_e164(to) or to, is_active=True).first()
        if to
        else None
    )
    if number is None:
        return _plain("Unknown number.", 404)
    gateway = sms_gateways.gateway_of(number)
    if not gateway.is_signed(request, number.signing_secret):
        logger.warning("inbox sms: a post for number %s had a bad signature", number.pk)
        return _plain("Bad signature.", 403)
    try:
        text = gateway.parse(request)
        receive_text(number, sender=text.sender, body=text.body, external_id=text.external_id, media=text.media)
    except sms_gateways.Malformed as error:
        return _plain(f"Not a text message: {error}.", 400)
    except Flooded as flooded:
        response = _plain("Too many messages from this sender; try later.", 429)
        response["Retry-After"] = str(max(1, int(flooded.retry_after)))
        return response
    except ValidationError as error:
        return _plain(" ".join(error.messages)[:300] or "Refused.", 400)
    return gateway.answer()
