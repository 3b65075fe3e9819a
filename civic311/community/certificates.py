"""Certificates of completion of a liaison training, as PDF (civic311.pdf, WeasyPrint): the liaison's name,
the training, its date and trainer, the certificate's number, the city. In the liaison's language."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from civic311.pdf import render_pdf

from . import emails
from .models import TrainingRegistration


def certificate_filename(registration: TrainingRegistration) -> str:
    return f"certificate-{registration.certificate_number or registration.pk}.pdf"


def certificate_html(registration: TrainingRegistration) -> str:
    """The certificate as a self-contained HTML document (for the PDF; also what the tests read)."""
    session = registration.session
    jurisdiction = session.jurisdiction
    liaison = registration.liaison
    completed = registration.completed_at or timezone.now()
    with translation.override(emails.site_language(liaison.language)), timezone.override(jurisdiction.zone):
        return render_to_string(
            "community/recruitment/certificate_pdf.html",
            {
                "registration": registration,
                "session": session,
                "liaison": liaison,
                "jurisdiction": jurisdiction,
                "completed_on": timezone.localdate(completed, timezone=jurisdiction.zone),
            },
        )


def certificate_pdf(registration: TrainingRegistration) -> bytes:
    """The PDF of a completed registration's certificate."""
    if registration.completed_at is None:
        raise ValueError("only a completed training has a certificate")
    return render_pdf(certificate_html(registration))
