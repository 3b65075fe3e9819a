"""The "was it fixed?" e-mail survey (issue 6, "Beyond the phone").

When a request becomes closed (not a duplicate, referral or cancellation) and its requester gave an
e-mail address, `queue_fixed_survey` puts one e-mail in the notification outbox: a signed link to a page
asking "Was it fixed?" (yes / no and a comment). `record_fixed_answer` stores the answer as a survey
response (channel "email"); "no" reopens the request through `civic311.service_requests.services` with the
resident's comment and e-mails the department. One response per close; closing again later asks again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civic311.notifications import services as notifications
from civic311.notifications.models import Subscription
from civic311.notifications.services import absolute
from civic311.people.selectors import language_for
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import ServiceRequest

from .models import Answer, InstrumentVersion, Question, Response
from .services import ensure_instrument, validate_answers

if TYPE_CHECKING:
    from civic311.jurisdictions.models import Jurisdiction
    from civic311.notifications.models import OutboundMessage

logger = logging.getLogger(__name__)

SLUG = "was-it-fixed"
FIXED = "fixed"
COMMENT = "comment"
TOKEN_SALT = "civic311.surveys.fixed"  # noqa: S105 (a signing salt, not a secret)
TOKEN_MAX_CHARS = 500

QUESTIONS: tuple[tuple[str, str, bool, str, str], ...] = (
    (FIXED, Question.Kind.YES_NO, True, "Was the problem fixed?", "¿Se resolvió el problema?"),
    (COMMENT, Question.Kind.FREE_TEXT, False, "Anything you would like to tell us?", "¿Hay algo que quiera decirnos?"),
)


def ensure_fixed_survey(jurisdiction: Jurisdiction, *, now: dt.datetime | None = None) -> InstrumentVersion:
    """The city's "was it fixed?" survey, version 1 (made once, published)."""
    return ensure_instrument(
        jurisdiction,
        SLUG,
        name="Was it fixed?",
        purpose="E-mailed to the requester after a request closes; “no” reopens it.",
        questions=QUESTIONS,
        now=now,
    )


# --- the signed link ---------------------------------------------------------------------------------------


def _stamp(closed_at: dt.datetime) -> str:
    return closed_at.astimezone(dt.UTC).isoformat()


def make_fixed_token(service_request: ServiceRequest) -> str:
    """The link's proof: this request, this close. Valid for CIVIC311_RESIDENT_REOPEN_DAYS days."""
    assert service_request.closed_at is not None
    return signing.dumps(
        {"r": service_request.pk, "c": _stamp(service_request.closed_at)}, salt=TOKEN_SALT, compress=True
    )


def fixed_url(service_request: ServiceRequest) -> str:

    return absolute(reverse("surveys:fixed", args=[make_fixed_token(service_request)]), service_request)


@dataclass(frozen=True)
class FixedSurvey:
    service_request: ServiceRequest
    closed_at: str  # the close the link asks about (ISO, UTC)


def _bad_link() -> ValidationError:
    return ValidationError(
        {
            "token": [
                _(
                    "This link is not valid or has expired. Use the link from our latest "
                    "e-mail, or report the problem again."
                )
            ]
        }
    )


def read_fixed_token(token: str) -> FixedSurvey:
    """The request and close a link names, or ValidationError (tampered, expired, unknown request)."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX_CHARS:
        raise _bad_link()
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=dt.timedelta(days=settings.CIVIC311_RESIDENT_REOPEN_DAYS))
    except signing.BadSignature:  # includes SignatureExpired
        raise _bad_link() from None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int) or not isinstance(data.get("c"), str):
        raise _bad_link()
    service_request = (
        ServiceRequest.objects.select_related("service", "jurisdiction", "department", "requester")
        .filter(pk=data["r"])
        .first()
    )
    if service_request is None:
        raise _bad_link()
    return FixedSurvey(service_request, data["c"])


def is_current(
    survey: FixedSurvey, service_request: ServiceRequest | None = None, now: dt.datetime | None = None
) -> bool:
    """The request is still closed by the close the link asks about, within the reopen window."""
    current = service_request or survey.service_request
    return (
        current.status == Status.CLOSED
        and current.closed_at is not None
        and _stamp(current.closed_at) == survey.closed_at
        and requests_services.resident_window_open(current, now or timezone.now())
    )


def already_answered(survey: FixedSurvey) -> bool:
    return Response.objects.filter(
        version__instrument__slug=SLUG,
        service_request=survey.service_request,
        request_closed_at=dt.datetime.fromisoformat(survey.closed_at),
    ).exists()


def choose_message() -> str:
    return _("Choose “Yes” or “No”.")


# --- asking --------------------------------------------------------------------------------------------


def _language(service_request: ServiceRequest) -> str:
    return language_for(service_request.requester)  # the one the resident filed in, else their record's


def _opted_out(service_request: ServiceRequest, email: str) -> bool:

    return Subscription.objects.filter(
        service_request=service_request, email__iexact=email, state=Subscription.State.UNSUBSCRIBED
    ).exists()


def queue_fixed_survey(service_request: ServiceRequest) -> OutboundMessage | None:
    """E-mail the requester the survey for the request's current close; None when there is nothing to send
    (not closed, no e-mail, opted out of its e-mails, or sent already for this close)."""

    current = (
        ServiceRequest.objects.select_related("requester__customer", "service", "jurisdiction")
        .filter(pk=service_request.pk)
        .first()
    )
    if current is None or current.status != Status.CLOSED or current.closed_at is None:
        return None
    email = (current.requester.email or "").strip() if current.requester else ""
    if not email or _opted_out(current, email):
        return None
    ensure_fixed_survey(current.jurisdiction)
    language = _language(current)
    context = {
        "service_request": current,
        "survey_url": fixed_url(current),
        "track_url": notifications.track_url(current),
        "days": settings.CIVIC311_RESIDENT_REOPEN_DAYS,
    }
    with translation.override(language):
        subject = " ".join(render_to_string("surveys/email/fixed_subject.txt", context).split())
        body = render_to_string("surveys/email/fixed_body.txt", context).strip() + "\n"
    message = notifications.queue(
        channel=notifications.Channel.EMAIL,
        recipient=email,
        subject=subject,
        body=body,
        dedup_key=f"fixed:{current.pk}:{_stamp(current.closed_at)}:email",
        service_request=current,
    )
    if message is not None:
        logger.info("was-it-fixed survey queued for request %s", current.tracking_number)
    return message


# --- answering -----------------------------------------------------------------------------------------


def record_fixed_answer(
    service_request: ServiceRequest, token: str, fixed: object, comment: str = "", *, now: dt.datetime | None = None
) -> Response:
    """Store the resident's answer; "no" reopens the request with their comment and tells the department.

    Refused (ValidationError, nothing written): a bad or expired link, a link for another request, a request
    that is no longer closed by the close asked about, a second answer for the same close.
    """
    now = now or timezone.now()
    survey = read_fixed_token(token)
    if survey.service_request.pk != service_request.pk:
        raise _bad_link()
    version = ensure_fixed_survey(service_request.jurisdiction)
    cleaned = validate_answers(version, {FIXED: fixed, COMMENT: comment or ""})
    is_fixed = next(value for question, value in cleaned.items() if question.code == FIXED)
    words = str(next((value for question, value in cleaned.items() if question.code == COMMENT), ""))
    closed_at = dt.datetime.fromisoformat(survey.closed_at)
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().select_related("department").get(pk=service_request.pk)
        if already_answered(survey):
            raise ValidationError(_("You have already answered this survey. Thank you."))
        if not is_current(survey, current, now):
            raise ValidationError(
                _(
                    "This request has changed since we asked, or the time to answer has "
                    "passed. If the problem is back, please report it again."
                )
            )
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    jurisdiction_id=current.jurisdiction_id,
                    version=version,
                    channel="email",
                    contact_channel=current.channel,
                    outcome=Response.Outcome.COMPLETED,
                    started_at=now,
                    finished_at=now,
                    service_request=current,
                    request_closed_at=closed_at,
                )
        except IntegrityError:  # a second click at the same moment
            raise ValidationError(_("You have already answered this survey. Thank you.")) from None
        Answer.objects.bulk_create(
            [Answer(response=response, question=question, value=value) for question, value in cleaned.items()]
        )
        if not is_fixed:
            _reopen(current, words, now)
            _tell_department(current, words, response)
    return response


def _reopen(service_request: ServiceRequest, words: str, now: dt.datetime) -> None:
    comment = words or _("Not fixed (answered the “was it fixed?” e-mail survey without a comment).")
    if service_request.requester_id is not None:
        requests_services.resident_reopen(
            service_request, token=requests_services.resident_link_token(service_request), comment=comment, now=now
        )
        return
    requests_services.change_status(
        service_request,
        Status.REOPENED,
        actor=None,
        actor_label=requests_services.RESIDENT,
        now=now,
        public_reason=_("Reopened by the resident."),
        internal_note=_("Comment from the resident: %(comment)s") % {"comment": comment},
    )


def _tell_department(service_request: ServiceRequest, words: str, response: Response) -> None:
    """E-mail the department's alias and the request's assignee (its webhooks hear the reopening anyway)."""

    service_request.refresh_from_db()
    context = {
        "service_request": service_request,
        "comment": words,
        "admin_url": notifications.absolute(
            reverse("admin:requests_servicerequest_change", args=[service_request.pk]), service_request
        ),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("surveys/email/not_fixed_subject.txt", context).split())
        body = render_to_string("surveys/email/not_fixed_body.txt", context).strip() + "\n"
    recipients = [service_request.department.contact_email, service_request.assignee]
    for recipient in recipients:
        if recipient:
            notifications.notify_staff(
                recipient, subject, body, dedup_key=f"not-fixed:{response.pk}", service_request=service_request
            )
