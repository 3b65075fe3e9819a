"""The Youth Engagement Program's certificates of achievement as PDF (civic311.pdf, WeasyPrint): the
participant's name as kept (first name and last initial), the cohort and its site, the completion date,
the signatory, the verification code and the address of the page that checks it, the city. One PDF per
participant, and one of all a cohort's certificates for printing (a page each). In the current language."""

from __future__ import annotations

from collections.abc import Iterable

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from civic311.pdf import render_pdf

from . import emails
from .models import Cohort, Participant
from .youth_certificate_codes import format_code


def certificate_filename(participant: Participant) -> str:
    return f"certificate-{participant.certificate_code or participant.pk}.pdf"


def cohort_filename(cohort: Cohort) -> str:
    return f"certificates-{cohort.slug}.pdf"


def _page(participant: Participant, cohort: Cohort) -> dict[str, object]:
    if not participant.certificate_code or participant.completed_at is None:
        raise ValueError("only an issued certificate is printed")
    code = format_code(participant.certificate_code)
    return {
        "name": participant.display_name,
        "code": code,
        "completed_on": timezone.localdate(participant.completed_at, timezone=cohort.jurisdiction.zone),
        "check_url": emails.link(cohort.jurisdiction, reverse("community:youth_certificate_check", args=[code])),
    }


def certificates_html(cohort: Cohort, participants: Iterable[Participant]) -> str:
    """The certificates of `participants` (of `cohort`), one landscape page each, as one HTML document."""
    jurisdiction = cohort.jurisdiction
    with timezone.override(jurisdiction.zone):
        return render_to_string(
            "community/youth/certificate_pdf.html",
            {
                "cohort": cohort,
                "jurisdiction": jurisdiction,
                "pages": [_page(participant, cohort) for participant in participants],
                "lookup_url": emails.link(jurisdiction, reverse("community:youth_certificate_lookup")),
            },
        )


def certificate_pdf(participant: Participant) -> bytes:
    """The PDF of one participant's issued certificate."""
    return render_pdf(certificates_html(participant.cohort, [participant]))


def cohort_certificates_pdf(cohort: Cohort, participants: Iterable[Participant]) -> bytes:
    """One PDF of every certificate given, for printing (a page each); refused when there is none."""
    chosen = list(participants)
    if not chosen:
        raise ValueError("no certificate to print")
    return render_pdf(certificates_html(cohort, chosen))
