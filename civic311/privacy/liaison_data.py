"""The Neighborhood Liaison Program's personal data (docs/privacy.md): whose records they are, what a
resident's export shows of them, and what erasure and the retention sweep leave.

A resident's programme records, in the customer's own city, are the **liaison applications** made with one of
their e-mail addresses (compared case-blind) and the **liaison records** whose address, or whose account's
address, is one of them (a customer record has no link to an account: the address is what joins them), with
the application each liaison came from.

Anonymising an **application** blanks the applicant's names, phone, "more about where they heard" and the
reason it was declined, and replaces the address by `application-<id>@anonymised.invalid` (an address that
can never receive mail, unique per row, so the one-pending-application-per-address rule still holds).
Anonymising a **liaison** does the same to the record (`liaison-<id>@anonymised.invalid`), takes them off the
neighborhood pages and the digest, and, when their account is only a liaison's (a resident's account with no
other role: never a staff account), deactivates it and blanks its names and address (its username becomes
`former-liaison-<id>`); their sign-in links go. The status, the dates, the neighborhoods, the languages
spoken, the language of their messages, their trainings (attendance, completion, certificate numbers), the
meetings recorded and the requests they filed stay: the programme's figures count them, and the requests
are the neighbours' and the city's.

The sweep's rules (`expired_applications`, `expired_liaisons`):

* a **declined** application: `CIVIC311_RETAIN_DECLINED_APPLICATIONS_DAYS` (365) after the decision;
* an application still **waiting for review**: `CIVIC311_RETAIN_CONTACT_DAYS` (730) after it was made; it is
  closed as declined (by nobody, with no reason), since nobody could be told of a decision;
* a **withdrawn** liaison (and the application they were accepted from): `CIVIC311_RETAIN_CONTACT_DAYS` after
  they left. A liaison still in the programme (accepted, active, lapsed) keeps everything.

Erasure (`erase`, from `retention.erase_customer`) anonymises the resident's applications and liaison records
at once; a liaison still in the programme is withdrawn first (status, the moment, places in sessions not
begun given back, access removed: what `community.services.training.withdraw` does when a liaison leaves), so
the programme's figures show them leaving that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat, Lower, Now

from civic311.community.models import (
    CommunityMeeting,
    Liaison,
    LiaisonApplication,
    LiaisonFiling,
    ProgrammeMessage,
    TrainingRegistration,
)
from civic311.community.services import engagement, training
from civic311.notifications import services as notifications
from civic311.notifications.models import OutboundMessage
from civic311.people.models import NEIGHBORHOOD_ROLES, EmailSignInLink, RoleAssignment, User

from . import admin_log

# The default of CIVIC311_RETAIN_DECLINED_APPLICATIONS_DAYS: a declined applicant may ask why, or apply again
# and be recognised, for a year; after that the city has no use for who they were.
DEFAULT_RETAIN_DECLINED_APPLICATIONS_DAYS = 365
ANONYMISED_DOMAIN = notifications.ANONYMISED_EMAIL_DOMAIN


def retain_declined_days() -> int:
    return int(
        getattr(settings, "CIVIC311_RETAIN_DECLINED_APPLICATIONS_DAYS", DEFAULT_RETAIN_DECLINED_APPLICATIONS_DAYS)
    )


def declined_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=retain_declined_days())


def _live() -> Q:
    """Records still naming someone (an anonymised one has a placeholder address)."""
    return ~Q(email__endswith=f"@{ANONYMISED_DOMAIN}")


def _placeholder(kind: str) -> Concat:
    """`<kind>-<id>@anonymised.invalid`: valid for an EmailField, unique per row, never deliverable."""
    return Concat(Value(f"{kind}-"), Cast(F("pk"), CharField()), Value(f"@{ANONYMISED_DOMAIN}"))


# --- whose records ----------------------------------------------------------------------------------------------


def liaisons_of(jurisdiction_id: int, emails: Iterable[str]) -> QuerySet[Liaison]:
    """Liaison records in the city under one of these addresses (lower case), or whose account's is one."""
    addresses = {email.strip().lower() for email in emails if email}
    if not addresses:
        return Liaison.objects.none()
    return (
        Liaison.objects.filter(jurisdiction_id=jurisdiction_id)
        .annotate(_email=Lower("email"), _account=Lower("user__email"))
        .filter(Q(_email__in=addresses) | Q(_account__in=addresses))
    )


def applications_of(
    jurisdiction_id: int, emails: Iterable[str], liaison_ids: Iterable[int] = ()
) -> QuerySet[LiaisonApplication]:
    """Applications in the city made with one of these addresses (lower case), and those the liaisons
    `liaison_ids` were accepted from (their address may have changed since)."""
    addresses = {email.strip().lower() for email in emails if email}
    wanted = Q(liaison__in=list(liaison_ids))
    if addresses:
        wanted |= Q(_email__in=addresses)
    return (
        LiaisonApplication.objects.filter(jurisdiction_id=jurisdiction_id)
        .annotate(_email=Lower("email"))
        .filter(wanted)
    )


@dataclass
class ProgrammeRecords:
    """A resident's records in the programme, read once (erasure changes the addresses that found them)."""

    application_ids: list[int] = field(default_factory=list)
    liaison_ids: list[int] = field(default_factory=list)
    # The liaisons' addresses and their accounts', lower case: messages to them are the resident's too.
    addresses: set[str] = field(default_factory=set)
    in_programme: bool = False  # a liaison among them not withdrawn

    def __bool__(self) -> bool:
        return bool(self.application_ids or self.liaison_ids)


def records_of(jurisdiction_id: int, emails: Iterable[str]) -> ProgrammeRecords:
    """The resident's applications and liaison records still naming them, under these addresses."""
    emails = list(emails)
    liaisons = list(
        liaisons_of(jurisdiction_id, emails).filter(_live()).values_list("pk", "email", "user__email", "status")
    )
    liaison_ids = [pk for pk, _email, _account, _status in liaisons]
    addresses = {
        address.strip().lower() for _pk, email, account, _status in liaisons for address in (email, account) if address
    }
    return ProgrammeRecords(
        application_ids=list(
            applications_of(jurisdiction_id, emails, liaison_ids).filter(_live()).values_list("pk", flat=True)
        ),
        liaison_ids=liaison_ids,
        addresses=addresses,
        in_programme=any(status != Liaison.Status.WITHDRAWN for _pk, _email, _account, status in liaisons),
    )


# --- retention --------------------------------------------------------------------------------------------------


def expired_applications(declined_until: dt.datetime, contacts_until: dt.datetime) -> QuerySet[LiaisonApplication]:
    """Applications still naming someone that are past their window: declined before `declined_until`;
    waiting for review since before `contacts_until`; accepted, of a liaison who left before `contacts_until`
    (or of no liaison any more, decided before it). The application of a liaison in the programme stays."""
    Status = LiaisonApplication.Status
    withdrawn = Liaison.objects.filter(
        application=OuterRef("pk"), status=Liaison.Status.WITHDRAWN, withdrawn_at__lte=contacts_until
    )
    return LiaisonApplication.objects.filter(_live()).filter(
        Q(status=Status.DECLINED, decided_at__lte=declined_until)
        | Q(status=Status.PENDING, created_at__lte=contacts_until)
        | Q(status=Status.ACCEPTED) & (Exists(withdrawn) | Q(liaison__isnull=True, decided_at__lte=contacts_until))
    )


def expired_liaisons(contacts_until: dt.datetime) -> QuerySet[Liaison]:
    """Liaisons still naming someone who left the programme before `contacts_until`."""
    return Liaison.objects.filter(_live(), status=Liaison.Status.WITHDRAWN, withdrawn_at__lte=contacts_until)


# --- anonymising ------------------------------------------------------------------------------------------------


def anonymise_applications(applications: QuerySet[LiaisonApplication]) -> int:
    """Make these applications name nobody (see the module's docstring); returns how many this call did."""
    ids = list(applications.filter(_live()).values_list("pk", flat=True))
    if not ids:
        return 0
    admin_log.forget_names(LiaisonApplication, ids)
    # One that names nobody can no longer be reviewed (there is nobody to tell): closed, not left in the queue.
    LiaisonApplication.objects.filter(_live(), pk__in=ids, status=LiaisonApplication.Status.PENDING).update(
        status=LiaisonApplication.Status.DECLINED, decided_at=Now(), decided_by=None
    )
    # Conditional, so that of two runs at once only one counts a row.
    return LiaisonApplication.objects.filter(_live(), pk__in=ids).update(
        first_name="",
        last_name="",
        email=_placeholder("application"),
        phone="",
        heard_about_detail="",
        decline_reason="",
    )


def _only_a_liaisons(users: QuerySet[User]) -> QuerySet[User]:
    """The accounts that are a resident's and nothing else: not staff, no role but a liaison's."""
    other_roles = RoleAssignment.objects.filter(user=OuterRef("pk")).exclude(role__in=NEIGHBORHOOD_ROLES)
    return users.filter(is_staff=False, is_superuser=False).exclude(Exists(other_roles))


def anonymise_liaisons(liaisons: QuerySet[Liaison]) -> int:
    """Make these liaisons name nobody, with the application they came from and, when it is only a
    liaison's, their account (deactivated); returns how many liaisons this call anonymised. Those still in
    the programme are left alone: `erase` withdraws them first."""
    # Locked and read again: of two runs at once only one counts (and blanks) a liaison.
    rows = list(
        Liaison.objects.select_for_update()
        .filter(_live(), pk__in=liaisons.values("pk"), status=Liaison.Status.WITHDRAWN)
        .values_list("pk", "user_id", "application_id")
    )
    if not rows:
        return 0
    ids = [pk for pk, _user, _application in rows]
    user_ids = [user for _pk, user, _application in rows]
    anonymise_applications(LiaisonApplication.objects.filter(pk__in=[a for *_rest, a in rows if a is not None]))
    admin_log.forget_names(Liaison, ids)
    accounts = _only_a_liaisons(User.objects.filter(pk__in=user_ids))
    account_ids = list(accounts.values_list("pk", flat=True))
    admin_log.forget_names(User, account_ids)
    User.objects.filter(pk__in=account_ids).update(
        is_active=False,
        first_name="",
        last_name="",
        email="",
        username=Concat(Value("former-liaison-"), Cast(F("pk"), CharField())),
    )
    # The links e-mailed to sign in hold the address; an unused one would sign into a closed account.
    EmailSignInLink.objects.filter(user_id__in=user_ids).delete()
    return Liaison.objects.filter(pk__in=ids).update(
        first_name="",
        last_name="",
        email=_placeholder("liaison"),
        phone="",
        show_on_neighborhood_page=False,
        weekly_digest=False,
    )


def anonymise_expired_applications(ids: list[int]) -> int:
    """The retention sweep's batch (`privacy.retention.anonymise_expired`)."""
    return anonymise_applications(LiaisonApplication.objects.filter(pk__in=ids))


def anonymise_expired_liaisons(ids: list[int]) -> int:
    """The retention sweep's batch (`privacy.retention.anonymise_expired`)."""
    return anonymise_liaisons(Liaison.objects.filter(pk__in=ids))


def _withdraw(liaison_ids: list[int], now: dt.datetime) -> int:
    """Withdraw those of these liaisons still in the programme, as when a liaison leaves
    (`training.leave_programme`); returns how many. In the caller's transaction. Not `training.withdraw`,
    whose rule is the community staff's or the liaison's own: here a supervisor acts on the resident's request
    to be erased."""
    liaisons = list(
        Liaison.objects.select_for_update()
        .filter(pk__in=liaison_ids)
        .exclude(status=Liaison.Status.WITHDRAWN)
        .select_related("user")
    )
    for liaison in liaisons:
        training.leave_programme(liaison, now)
    return len(liaisons)


def erase(records: ProgrammeRecords, now: dt.datetime) -> dict[str, int]:
    """Erase a resident's programme records at once (`retention.erase_customer`, in its transaction): a
    liaison still in the programme is withdrawn first, then the liaisons and applications are anonymised."""
    withdrawn = _withdraw(records.liaison_ids, now)
    # The applications first, so that the one a liaison came from counts as an application.
    applications = anonymise_applications(LiaisonApplication.objects.filter(pk__in=records.application_ids))
    return {
        "liaison_applications": applications,
        "liaisons": anonymise_liaisons(Liaison.objects.filter(pk__in=records.liaison_ids)),
        "liaisons_withdrawn": withdrawn,
    }


# --- the export -------------------------------------------------------------------------------------------------


def export_programme(
    jurisdiction_id: int, emails: Iterable[str], at: Callable[[dt.datetime | None], str | None]
) -> dict[str, Any]:
    """The resident's applications and liaison records as their export shows them: what they gave, what the
    programme recorded of them (trainings, meetings, the requests they filed, by tracking number only: the
    neighbours' details are the neighbours'), and the programme's messages to them."""
    emails = list(emails)
    liaisons = list(
        liaisons_of(jurisdiction_id, emails)
        .prefetch_related("neighborhoods")
        .select_related("jurisdiction")
        .order_by("joined_at", "pk")
    )
    applications = (
        applications_of(jurisdiction_id, emails, [liaison.pk for liaison in liaisons])
        .prefetch_related("neighborhoods")
        .order_by("created_at", "pk")
    )
    return {
        "applications": [
            {
                "id": application.pk,
                "first_name": application.first_name,
                "last_name": application.last_name,
                "email": application.email,
                "phone": application.phone,
                "neighborhoods": sorted(n.name for n in application.neighborhoods.all()),
                "languages_spoken": list(application.languages),
                "language_of_the_form": application.language,
                "heard_about": application.heard_about,
                "heard_about_label": str(application.get_heard_about_display()),
                "heard_about_detail": application.heard_about_detail,
                "terms_agreed": application.terms_version,
                "agreed": at(application.agreed_at),
                "shown_on_neighborhood_page": application.show_on_neighborhood_page,
                "status": application.status,
                "status_label": str(application.get_status_display()),
                "applied": at(application.created_at),
                "decided": at(application.decided_at),
                "reason_for_declining": application.decline_reason,
            }
            for application in applications
        ],
        "liaison_records": [_export_liaison(liaison, at) for liaison in liaisons],
    }


def _export_liaison(liaison: Liaison, at: Callable[[dt.datetime | None], str | None]) -> dict[str, Any]:
    registrations = (
        TrainingRegistration.objects.filter(liaison=liaison)
        .select_related("session")
        .order_by("session__starts_at", "pk")
    )
    filings = list(
        LiaisonFiling.objects.filter(liaison=liaison)
        .select_related("service_request", "meeting")
        .order_by("filed_at", "pk")
    )
    meetings = (
        CommunityMeeting.objects.filter(Q(recorded_by_id=liaison.user_id) | Q(filings__liaison=liaison))
        .select_related("neighborhood")
        .distinct()
        .order_by("held_on", "pk")
    )
    return {
        "id": liaison.pk,
        "first_name": liaison.first_name,
        "last_name": liaison.last_name,
        "email": liaison.email,
        "phone": liaison.phone,
        "neighborhoods": sorted(n.name for n in liaison.neighborhoods.all()),
        "languages_spoken": list(liaison.languages),
        "language_for_messages": liaison.language,
        "shown_on_neighborhood_page": liaison.show_on_neighborhood_page,
        "weekly_digest": liaison.weekly_digest,
        "status": liaison.status,
        "status_label": str(liaison.get_status_display()),
        "accepted": at(liaison.joined_at),
        "trained": at(liaison.trained_at),
        "refresher_due": liaison.refresher_due_on.isoformat() if liaison.refresher_due_on else None,
        "lapsed": at(liaison.lapsed_at),
        "withdrawn": at(liaison.withdrawn_at),
        "last_active": at(liaison.last_active_at),
        "trainings": [
            {
                "session": registration.session.title,
                "kind": registration.session.kind,
                "starts": at(registration.session.starts_at),
                "ends": at(registration.session.ends_at),
                "place": registration.session.place,
                "online_link": registration.session.online_url,
                "language": registration.session.language,
                "registered": at(registration.registered_at),
                "attended": registration.attended,
                "completed": at(registration.completed_at),
                "certificate_number": registration.certificate_number,
            }
            for registration in registrations
        ],
        "meetings": [
            {
                "meeting": meeting.name,
                "held_on": meeting.held_on.isoformat(),
                "neighborhood": meeting.neighborhood.name if meeting.neighborhood else "",
                "place": meeting.place,
                "people_attending": meeting.attendance,
                "notes": meeting.notes,
                "recorded": at(meeting.created_at),
            }
            for meeting in meetings
        ],
        # The requests are the neighbours': their tracking numbers, not what the neighbours gave.
        "requests_filed_for_neighbours": [
            {
                "tracking_number": filing.service_request.tracking_number,
                "filed": at(filing.filed_at),
                "meeting": filing.meeting.name if filing.meeting else "",
            }
            for filing in filings
        ],
        "programme_messages": _messages_to(liaison, at),
    }


def _messages_to(liaison: Liaison, at: Callable[[dt.datetime | None], str | None]) -> list[dict[str, Any]]:
    """The programme's messages this liaison was sent: each went as an outbox e-mail keyed (message,
    liaison). Once that e-mail is anonymised (its key hashed, `CIVIC311_RETAIN_MESSAGE_DAYS`), the city no
    longer holds who received a message, and it is not listed."""
    candidates = {
        engagement.dedup_key(message, liaison): message
        for message in ProgrammeMessage.objects.filter(
            jurisdiction_id=liaison.jurisdiction_id, sent_at__gte=liaison.joined_at
        ).select_related("neighborhood")
    }
    keys = OutboundMessage.objects.filter(dedup_key__in=list(candidates)).values_list("dedup_key", flat=True)
    received = sorted((candidates[key] for key in set(keys)), key=lambda message: (message.sent_at, message.pk))
    return [
        {
            "subject": message.subject,
            "message": message.body,
            # Empty: sent to the whole programme.
            "neighborhood": message.neighborhood.name if message.neighborhood else "",
            "sent": at(message.sent_at),
        }
        for message in received
    ]


__all__ = [
    "ProgrammeRecords",
    "anonymise_applications",
    "anonymise_expired_applications",
    "anonymise_expired_liaisons",
    "anonymise_liaisons",
    "applications_of",
    "declined_cutoff",
    "erase",
    "expired_applications",
    "expired_liaisons",
    "export_programme",
    "liaisons_of",
    "records_of",
]
