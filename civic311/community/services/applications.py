"""The public application to the Neighborhood Liaison Program, and its review by community staff.

`apply` takes the public form's answers (checked here, not only in the form) and writes the application
with its acknowledgement e-mail; `accept` makes the resident's account and their Liaison record (accepted,
not yet trained: the role comes with training, `training.sync_access`) and tells them the next step;
`decline` tells them why. Each writes everything in one transaction or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from civic311.community import emails
from civic311.community.models import HeardAbout, Liaison, LiaisonApplication
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.notifications import services as notifications
from civic311.people import roles
from civic311.people.contact_details import is_valid_email, normalize_email, phone_e164, phone_error
from civic311.people.models import User

from . import training

logger = logging.getLogger(__name__)

# The version of the programme's terms the form shows; an application records the one agreed to.
TERMS_VERSION = "2026-1"

# Languages an applicant may say they speak (ISO 639-1): the site's languages and those most spoken in
# Philadelphia's homes after English (the City's language access plan), in this order on the form.
COMMON_LANGUAGES: tuple[tuple[str, StrOrPromise], ...] = (
    ("en", gettext_lazy("English")),
    ("es", gettext_lazy("Spanish")),
    ("zh", gettext_lazy("Chinese")),
    ("vi", gettext_lazy("Vietnamese")),
    ("ru", gettext_lazy("Russian")),
    ("ar", gettext_lazy("Arabic")),
    ("fr", gettext_lazy("French")),
    ("ht", gettext_lazy("Haitian Creole")),
    ("pt", gettext_lazy("Portuguese")),
    ("ko", gettext_lazy("Korean")),
    ("km", gettext_lazy("Khmer")),
    ("bn", gettext_lazy("Bengali")),
    ("it", gettext_lazy("Italian")),
    ("pl", gettext_lazy("Polish")),
    ("uk", gettext_lazy("Ukrainian")),
    ("sw", gettext_lazy("Swahili")),
)
NAME_MAX_CHARS = 100
DETAIL_MAX_CHARS = 200


def spoken_languages() -> list[tuple[str, str]]:
    """(code, name) of every language the form offers: the common ones, then any other the site is in (a
    spoken language once: the site's two Chinese scripts are the one "Chinese" a person speaks)."""
    offered = [(code, str(name)) for code, name in COMMON_LANGUAGES]
    known = {code for code, _name in offered}
    offered += [
        (code, str(name)) for code, name in settings.LANGUAGES if code.split("-")[0] not in known and code not in known
    ]
    return offered


def language_name(code: str) -> str:
    """The name of a language the form offers (the code itself for any other)."""
    return dict(spoken_languages()).get(code, code)


@dataclass
class ApplicationData:
    """The public form's answers, as typed."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    neighborhood_ids: Sequence[int] = ()
    languages: Sequence[str] = ()
    heard_about: str = ""
    heard_about_detail: str = ""
    agreed_to_terms: bool = False
    show_on_neighborhood_page: bool = False
    language: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict, repr=False)


def _pending_message() -> str:
    return _(
        "An application with this e-mail address is already waiting for review. We will write to you "
        "about it; there is no need to apply again."
    )


def _check(jurisdiction: Jurisdiction, data: ApplicationData) -> tuple[dict[str, list[str]], list[Neighborhood]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, label in (("first_name", _("Enter your first name.")), ("last_name", _("Enter your last name."))):
        value = getattr(data, name).strip()
        if not value:
            add(name, label)
        elif len(value) > NAME_MAX_CHARS:
            add(name, _("Use at most %(count)d characters.") % {"count": NAME_MAX_CHARS})
    email = data.email.strip()
    if not email:
        add("email", _("Enter your e-mail address: we write to you there."))
    elif not is_valid_email(email):
        add("email", _("Enter an e-mail address such as name@example.com."))
    else:
        if LiaisonApplication.objects.filter(
            jurisdiction=jurisdiction, email__iexact=email, status=LiaisonApplication.Status.PENDING
        ).exists():
            add("email", _pending_message())
        else:
            statuses = set(
                Liaison.objects.filter(jurisdiction=jurisdiction, email__iexact=email).values_list("status", flat=True)
            )
            if statuses - {Liaison.Status.WITHDRAWN}:
                add("email", _("This e-mail address belongs to a liaison already. Sign in to your liaison pages."))
            elif statuses:
                # Their account keeps its one Liaison record, so `accept` could never take this application.
                add(
                    "email",
                    _(
                        "This e-mail address belonged to a liaison who left the program. To join again, apply "
                        "with another address or write to the program's staff."
                    ),
                )
    if data.phone.strip() and not phone_e164(data.phone):
        add("phone", phone_error(optional=True))
    neighborhoods = list(Neighborhood.objects.filter(jurisdiction=jurisdiction, pk__in=list(data.neighborhood_ids)))
    if not data.neighborhood_ids:
        add("neighborhoods", _("Choose at least one neighborhood."))
    elif len(neighborhoods) != len(set(data.neighborhood_ids)):
        add("neighborhoods", _("Choose neighborhoods of this city from the list."))
    offered = {code for code, _name in spoken_languages()}
    if not data.languages:
        add("languages", _("Choose at least one language you speak."))
    elif any(code not in offered for code in data.languages):
        add("languages", _("Choose languages from the list."))
    if data.heard_about not in HeardAbout.values:
        add("heard_about", _("Tell us how you heard about the program."))
    if len(data.heard_about_detail.strip()) > DETAIL_MAX_CHARS:
        add("heard_about_detail", _("Use at most %(count)d characters.") % {"count": DETAIL_MAX_CHARS})
    if not data.agreed_to_terms:
        add("agreed_to_terms", _("To join the program, agree to its terms."))
    return errors, neighborhoods


def apply(jurisdiction: Jurisdiction, data: ApplicationData, *, now: dt.datetime | None = None) -> LiaisonApplication:
    """Record a resident's application and queue its acknowledgement e-mail, in their language. Raises
    ValidationError keyed by the form's fields (nothing written) when anything is wrong."""
    errors, neighborhoods = _check(jurisdiction, data)
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    languages = list(dict.fromkeys(data.languages))
    try:
        with transaction.atomic():
            application = LiaisonApplication.objects.create(
                jurisdiction=jurisdiction,
                first_name=data.first_name.strip(),
                last_name=data.last_name.strip(),
                email=data.email.strip(),
                phone=phone_e164(data.phone) if data.phone.strip() else "",
                languages=languages,
                heard_about=data.heard_about,
                heard_about_detail=data.heard_about_detail.strip(),
                terms_version=TERMS_VERSION,
                agreed_at=now,
                show_on_neighborhood_page=data.show_on_neighborhood_page,
                language=emails.site_language(data.language),
                created_at=now,
            )
            application.neighborhoods.set(neighborhoods)
            _tell(
                application,
                "application_received",
                {"neighborhoods": neighborhoods},
                dedup=f"liaison-application:{application.pk}:received",
            )
    except IntegrityError:  # the same address applied twice at once: the constraint keeps one
        raise ValidationError({"email": [_pending_message()]}) from None
    logger.info("liaison application %s received", application.pk)
    return application


def _tell(application: LiaisonApplication, template: str, context: dict[str, object], *, dedup: str) -> None:
    subject, body = emails.render(
        template,
        {"application": application, "jurisdiction": application.jurisdiction, **context},
        application.language,
    )
    notifications.queue(
        channel=notifications.Channel.EMAIL, recipient=application.email, subject=subject, body=body, dedup_key=dedup
    )


def _decidable(application: LiaisonApplication, actor: User | None) -> LiaisonApplication:
    """The application read again under a lock, once the actor may decide it and it is still pending."""
    roles.require(
        roles.may_run_community_programmes_in(actor, application.jurisdiction_id),
        _("Only community staff decide on liaison applications."),
    )
    current = LiaisonApplication.objects.select_for_update().select_related("jurisdiction").get(pk=application.pk)
    if current.status != LiaisonApplication.Status.PENDING:
        raise ValidationError({"status": [_("This application was decided already.")]})
    return current


def _username(application: LiaisonApplication) -> str:
    """A username that gives nothing away (the applicant's name or address is not in it) and is free."""
    base = f"liaison-{application.pk}"
    username, suffix = base, 1
    while User.objects.filter(username__iexact=username).exists():
        suffix += 1
        username = f"{base}-{suffix}"
    return username


def _account(application: LiaisonApplication) -> User:
    """The resident's account: one without a password (they sign in with a link by e-mail). An existing
    resident's account with the address is used; a staff account never is."""
    existing = list(User.objects.filter(email__iexact=application.email))
    if any(not roles.may_hold_liaison_role(user) for user in existing):
        raise ValidationError(
            {"email": [_("This address belongs to a staff or inactive account; a liaison needs a resident's own.")]}
        )
    if any(Liaison.objects.filter(user=user).exists() for user in existing):
        raise ValidationError({"email": [_("This address belongs to a liaison already.")]})
    if existing:
        return existing[0]
    user = User(
        username=_username(application),
        email=normalize_email(application.email),
        first_name=application.first_name,
        last_name=application.last_name,
    )
    user.set_unusable_password()
    user.save()
    return user


def accept(application: LiaisonApplication, actor: User | None, *, now: dt.datetime | None = None) -> Liaison:
    """Accept the application: the resident's account, their Liaison record (accepted, not yet trained) and
    an e-mail telling them to sign up for a training, all in one transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        current = _decidable(application, actor)
        user = _account(current)
        neighborhoods = list(current.neighborhoods.all())
        liaison = Liaison.objects.create(
            jurisdiction=current.jurisdiction,
            user=user,
            application=current,
            first_name=current.first_name,
            last_name=current.last_name,
            email=current.email,
            phone=current.phone,
            languages=list(current.languages),
            language=current.language,
            show_on_neighborhood_page=current.show_on_neighborhood_page,
            status=Liaison.Status.ACCEPTED,
            joined_at=now,
        )
        liaison.neighborhoods.set(neighborhoods)
        current.status = LiaisonApplication.Status.ACCEPTED
        current.decided_by = actor
        current.decided_at = now
        current.save(update_fields=["status", "decided_by", "decided_at"])
        training.sync_access(liaison)
        _tell(
            current,
            "application_accepted",
            {"trainings_url": emails.link(current.jurisdiction, reverse("liaison:trainings"))},
            dedup=f"liaison-application:{current.pk}:accepted",
        )
    _copy_decision(application, current)
    logger.info("liaison application %s accepted as liaison %s", current.pk, liaison.pk)
    return liaison


def decline(
    application: LiaisonApplication, actor: User | None, reason: str, *, now: dt.datetime | None = None
) -> LiaisonApplication:
    """Decline the application with a reason, which the applicant is sent."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the applicant a reason: it is sent to them.")]})
    now = now or timezone.now()
    with transaction.atomic():
        current = _decidable(application, actor)
        current.status = LiaisonApplication.Status.DECLINED
        current.decided_by = actor
        current.decided_at = now
        current.decline_reason = reason
        current.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        _tell(current, "application_declined", {"reason": reason}, dedup=f"liaison-application:{current.pk}:declined")
    _copy_decision(application, current)
    logger.info("liaison application %s declined", current.pk)
    return current


def _copy_decision(application: LiaisonApplication, current: LiaisonApplication) -> None:
    for name in ("status", "decided_by_id", "decided_at", "decline_reason"):
        setattr(application, name, getattr(current, name))


# --- the public form: no answer tells whose address is known ---------------------------------------------------

# The public form must not tell a stranger whether an address has applied or is a liaison's (as the sign-in
# page tells nobody who has requests): such an application gets the same "thank you" page, and the address's
# owner, not the visitor, is told by e-mail (at most once a day for each kind).
SIGN_IN_PATH = "/sign-in/"  # the public site's (`public:sign_in`), a layer above this app


def _known_address(jurisdiction: Jurisdiction, email: str) -> str:
    """What the program knows of the address: "pending" (an application), "member" (a liaison's, in the
    program), "withdrawn" (a liaison's who left) or "" (nothing)."""
    email = email.strip()
    if not email:
        return ""
    if LiaisonApplication.objects.filter(
        jurisdiction=jurisdiction, email__iexact=email, status=LiaisonApplication.Status.PENDING
    ).exists():
        return "pending"
    statuses = set(
        Liaison.objects.filter(jurisdiction=jurisdiction, email__iexact=email).values_list("status", flat=True)
    )
    if statuses - {Liaison.Status.WITHDRAWN}:
        return "member"
    return "withdrawn" if statuses else ""


def apply_from_form(
    jurisdiction: Jurisdiction, data: ApplicationData, *, now: dt.datetime | None = None
) -> LiaisonApplication | None:
    """`apply`, for the public form: when the only thing wrong is that the address has applied already or is
    (or was) a liaison's, nothing is recorded, the address is e-mailed what to do, and None is returned as if
    it were received. Any other problem raises ValidationError as `apply` does, without the address's."""
    try:
        return apply(jurisdiction, data, now=now)
    except ValidationError as error:
        known = _known_address(jurisdiction, data.email) if "email" in error.message_dict else ""
        if not known:
            raise
        others = {name: messages for name, messages in error.message_dict.items() if name != "email"}
        if others:  # the other mistakes are shown; the address's is not
            raise ValidationError(others) from None
    now = now or timezone.now()
    email = data.email.strip()
    digest = hashlib.sha256(email.lower().encode()).hexdigest()[:24]  # no address in the key
    today = timezone.localdate(now, jurisdiction.zone)
    subject, body = emails.render(
        "application_known",
        {
            "jurisdiction": jurisdiction,
            "known": known,
            "sign_in_url": emails.link(jurisdiction, SIGN_IN_PATH),
        },
        emails.site_language(data.language),
    )
    notifications.queue(
        channel=notifications.Channel.EMAIL,
        recipient=email,
        subject=subject,
        body=body,
        dedup_key=f"liaison-application-known:{jurisdiction.pk}:{digest}:{known}:{today:%Y-%m-%d}",
    )
    return None
