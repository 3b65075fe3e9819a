"""Every write of emergency mode: declare, end early, and the one coordinated message.

Rules (docs/emergencies.md):
* only supervisors and admins of the jurisdiction declare or end one (`roles.may_declare_emergency`);
* one emergency at a time per jurisdiction: a declaration whose time overlaps another's is refused (to
  change a running one, end it early and declare the new one), so the banner, the script and the surge
  flag never have two sources;
* an English title, banner and message are required; it ends after it starts, in the future, at most
  CIVIC311_EMERGENCY_MAX_DAYS (14) after its start; its start may be at most an hour in the past;
* the coordinated message is at most as long as the shortest network's post (280 characters for X).

The coordinated message goes out exactly once: at declaration when the start is now, else by the
periodic task once the start passes. A conditional UPDATE of `message_queued_at` lets one caller in, and
every outbox row has a dedup key per emergency and recipient, so running it twice, or on several workers,
queues nothing more.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.selectors import public_site_url
from civic311.knowledge.selectors import published_articles
from civic311.notifications import services as outbox
from civic311.notifications.models import OutboundMessage, Webhook
from civic311.notifications.services import reference_for
from civic311.people import roles
from civic311.people.models import User
from civic311.social import services as social
from civic311.social.models import text_limit

from . import selectors
from .models import BASE_LANGUAGE, Emergency

if TYPE_CHECKING:
    from civic311.knowledge.models import Article
    from civic311.people.roles import Someone

logger = logging.getLogger(__name__)

TITLE_MAX = 120
BANNER_MAX = 400
SCRIPT_MAX = 4000
BACKDATE_GRACE = dt.timedelta(hours=1)
EVENT = "emergency.declared"


def max_duration() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "CIVIC311_EMERGENCY_MAX_DAYS", 14)))


def message_limit() -> int:
    """The longest coordinated message: the shortest post among the configured social networks."""

    return min([text_limit(network) for network in social.accounts()] or [280])


def broadcast_emails() -> list[str]:
    configured: Any = getattr(settings, "CIVIC311_EMERGENCY_BROADCAST_EMAILS", None) or []
    if isinstance(configured, str):
        configured = configured.split(",")
    return [address.strip() for address in configured if address and address.strip()]


def require_may_declare(actor: Someone, jurisdiction: Jurisdiction) -> None:
    """Supervisors and admins of the city (PermissionDenied for anyone else)."""
    roles.require(
        roles.may_declare_emergency(actor) and roles.sees_jurisdiction(actor, jurisdiction.pk),
        _("Only supervisors and administrators may declare or end an emergency."),
    )


def _texts(values: dict[str, str] | None) -> dict[str, str]:
    """Only the site's languages, stripped, without empty ones."""
    codes = {code for code, _name in settings.LANGUAGES}
    return {
        code: text.strip()
        for code, text in (values or {}).items()
        if code in codes and isinstance(text, str) and text.strip()
    }


def _check_texts(
    errors: dict[str, list[str]], name: str, values: dict[str, str], *, limit: int, required: bool
) -> None:
    if required and not values.get(BASE_LANGUAGE):
        errors.setdefault(name, []).append(_("Write it in English at least; other languages fall back to it."))
    for code, text in values.items():
        if len(text) > limit:
            errors.setdefault(name, []).append(
                _("At most %(limit)d characters (the %(language)s one has %(length)d).")
                % {"limit": limit, "language": code, "length": len(text)}
            )


def declare_emergency(
    jurisdiction: Jurisdiction,
    *,
    actor: User | None,
    kind: str,
    title: dict[str, str],
    banner: dict[str, str],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    message: str,
    agent_script: dict[str, str] | None = None,
    pinned_articles: Iterable[Article] = (),
    surge: bool = False,
    now: dt.datetime | None = None,
) -> Emergency:
    """Declare an emergency. Refuses with PermissionDenied (not a supervisor or admin of the city) or
    ValidationError (every problem at once, keyed by field; nothing written)."""
    require_may_declare(actor, jurisdiction)
    now = now or timezone.now()
    title, banner, script = _texts(title), _texts(banner), _texts(agent_script)
    message = (message or "").strip()
    articles = list(pinned_articles)
    errors: dict[str, list[str]] = {}
    if kind not in Emergency.Kind.values:
        errors["kind"] = [_("Choose the kind of emergency.")]
    _check_texts(errors, "title", title, limit=TITLE_MAX, required=True)
    _check_texts(errors, "banner", banner, limit=BANNER_MAX, required=True)
    _check_texts(errors, "agent_script", script, limit=SCRIPT_MAX, required=False)
    if not message:
        errors["message"] = [_("Write the message to send to every channel.")]
    elif len(message) > message_limit():
        errors["message"] = [
            _("At most %(limit)d characters, so that it fits every social network (this one has %(length)d).")
            % {"limit": message_limit(), "length": len(message)}
        ]
    if starts_at is None or ends_at is None:
        errors.setdefault("ends_at", []).append(_("Give the start and the end."))
    else:
        if starts_at < now - BACKDATE_GRACE:
            errors.setdefault("starts_at", []).append(_("The start cannot be more than an hour in the past."))
        if ends_at <= starts_at:
            errors.setdefault("ends_at", []).append(_("The end must be after the start."))
        elif ends_at <= now:
            errors.setdefault("ends_at", []).append(_("The end must be in the future."))
        elif ends_at - starts_at > max_duration():
            errors.setdefault("ends_at", []).append(
                _("An emergency lasts at most %(days)d days; declare a new one to go on.")
                % {"days": max_duration().days}
            )
    published = set(_published_article_ids(jurisdiction))
    if any(article.pk not in published for article in articles):
        errors["pinned_articles"] = [_("Pin only published articles of this city.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # One declaration per jurisdiction at a time, so two supervisors cannot both pass the overlap check.
        Jurisdiction.objects.select_for_update().filter(pk=jurisdiction.pk).first()
        clash = selectors.overlapping(jurisdiction, starts_at, ends_at).first()
        if clash is not None:
            raise ValidationError(
                {
                    "starts_at": [
                        _(
                            "Another emergency (%(title)s) runs from %(start)s to %(end)s; end it first, or choose "
                            "another time."
                        )
                        % {
                            "title": clash.text("title", translation.get_language() or BASE_LANGUAGE),
                            "start": _local(clash.starts_at, jurisdiction),
                            "end": _local(clash.effective_end, jurisdiction),
                        }
                    ]
                }
            )
        emergency = Emergency.objects.create(
            jurisdiction=jurisdiction,
            kind=kind,
            title=title,
            banner=banner,
            agent_script=script,
            message=message,
            surge=surge,
            starts_at=starts_at,
            ends_at=ends_at,
            declared_by=actor,
            declared_at=now,
        )
        emergency.pinned_articles.set(articles)
        if starts_at <= now:
            queue_coordinated_message(emergency, now=now)
    logger.info("emergency %s declared for jurisdiction %s", emergency.pk, jurisdiction.slug)
    return emergency


def _published_article_ids(jurisdiction: Jurisdiction) -> list[int]:

    return list(published_articles(jurisdiction).values_list("pk", flat=True))


def _local(moment: dt.datetime, jurisdiction: Jurisdiction) -> str:
    return str(formats.date_format(timezone.localtime(moment, jurisdiction.zone), "DATETIME_FORMAT"))


def end_emergency(emergency: Emergency, *, actor: User | None, now: dt.datetime | None = None) -> Emergency:
    """End an emergency early (or call off one that has not started). Refuses one already over."""
    require_may_declare(actor, emergency.jurisdiction)
    now = now or timezone.now()
    with transaction.atomic():
        current = Emergency.objects.select_for_update().get(pk=emergency.pk)
        if current.ended_at is not None:
            raise ValidationError(_("This emergency was ended already."))
        if current.ends_at <= now:
            raise ValidationError(_("This emergency is over already."))
        current.ended_at = now
        current.ended_by = actor
        current.save(update_fields=["ended_at", "ended_by"])
    logger.info("emergency %s ended early", current.pk)
    return current


# --- the coordinated message -------------------------------------------------------------------------------


def queue_coordinated_message(emergency: Emergency, *, now: dt.datetime | None = None) -> int:
    """Queue the emergency's one message to every outbound channel: an `emergency.declared` event to each
    active webhook of the city's departments and API clients, an e-mail to each address of
    CIVIC311_EMERGENCY_BROADCAST_EMAILS, a post to each social account. Only once the emergency runs, and
    only once: returns how many messages this call queued (0 when it had been done, or is not due)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Emergency.objects.filter(
            pk=emergency.pk, message_queued_at__isnull=True, ended_at__isnull=True, starts_at__lte=now, ends_at__gt=now
        ).update(message_queued_at=now)
        if not claimed:
            return 0
        emergency = Emergency.objects.select_related("jurisdiction").get(pk=emergency.pk)
        made = _tell_webhooks(emergency) + _tell_broadcast_list(emergency) + _post_to_social(emergency)
    logger.info("emergency %s: coordinated message queued (%d messages)", emergency.pk, made)
    return made


def queue_due_messages(*, now: dt.datetime | None = None) -> int:
    """For the periodic task: queue the message of every emergency whose start has passed."""
    now = now or timezone.now()
    return sum(queue_coordinated_message(emergency, now=now) for emergency in selectors.due_for_message(now))


class EmergencyEvent(TypedDict):
    """An emergency webhook's body: what the city announces, with its public page."""

    event: str
    id: str
    kind: str
    title: str
    banner: str
    message: str
    surge: bool
    starts_at: str
    ends_at: str
    url: str


def webhook_payload(emergency: Emergency) -> EmergencyEvent:

    return {
        "event": EVENT,
        "id": reference_for(f"emergency:{emergency.pk}:event"),
        "kind": emergency.kind,
        "title": emergency.title,
        "banner": emergency.banner,
        "message": emergency.message,
        "surge": emergency.surge,
        "starts_at": emergency.starts_at.isoformat(),
        "ends_at": emergency.ends_at.isoformat(),
        "url": (public_site_url(emergency.jurisdiction) or "") + "/",
    }


def _tell_webhooks(emergency: Emergency) -> int:

    jurisdiction = emergency.jurisdiction
    audience = Q(department__jurisdiction=jurisdiction) | Q(
        api_key__jurisdiction=jurisdiction, api_key__revoked_at__isnull=True
    )
    made = 0
    for webhook in Webhook.objects.filter(audience, is_active=True).select_related("api_key").order_by("pk"):
        if webhook.wants(EVENT):
            made += (
                outbox.queue(
                    channel=OutboundMessage.Channel.WEBHOOK,
                    recipient=webhook.url[:500],
                    payload=webhook_payload(emergency),
                    webhook=webhook,
                    dedup_key=f"emergency:{emergency.pk}:webhook:{webhook.pk}",
                )
                is not None
            )
    return made


def _tell_broadcast_list(emergency: Emergency) -> int:

    addresses = broadcast_emails()
    if not addresses:
        return 0
    jurisdiction = emergency.jurisdiction
    with translation.override(settings.LANGUAGE_CODE):
        subject = f"{emergency.get_kind_display()}: {emergency.text('title')}"
        body = (
            "\n\n".join(
                [
                    emergency.message,
                    emergency.text("banner"),
                    _("From %(start)s to %(end)s.")
                    % {
                        "start": _local(emergency.starts_at, jurisdiction),
                        "end": _local(emergency.ends_at, jurisdiction),
                    },
                    public_site_url(jurisdiction),
                ]
            ).strip()
            + "\n"
        )
    made = 0
    for address in dict.fromkeys(address.lower() for address in addresses):
        made += (
            outbox.queue(
                channel=OutboundMessage.Channel.EMAIL,
                recipient=address,
                subject=subject,
                body=body,
                dedup_key=f"emergency:{emergency.pk}:email:{address}",
            )
            is not None
        )
    return made


def _post_to_social(emergency: Emergency) -> int:

    made = 0
    for network, account in social.accounts().items():
        try:
            made += (
                social.queue_post(
                    emergency.jurisdiction,
                    network,
                    emergency.message,
                    account=account,
                    dedup_key=f"emergency:{emergency.pk}:social:{network}",
                )
                is not None
            )
        except ValidationError:
            # A network added to the settings after the declaration, with a shorter limit: the others go.
            logger.warning("emergency %s: the message does not fit %s; not posted there", emergency.pk, network)
    return made
