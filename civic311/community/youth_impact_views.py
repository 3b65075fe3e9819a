"""The Youth Engagement Program's impact report (page, PDF, CSV) and certificates of achievement (the
staff's list and PDFs; the public page that checks a certificate's code). Thin: the figures come from
`selectors.youth_impact`, the rules from `services.youth_certificates` and `civic311.people.roles`.

The impact report holds figures and anonymous comments only, so it is open to whoever may see the
programs' figures (`roles.may_see_programme_figures`: community staff, leadership, admins). The
certificates carry the participants' names: community staff only (`roles.may_run_community_programmes`).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from civic311 import rate_limits
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.pdf import pdf_download, render_pdf
from civic311.people import roles
from civic311.spreadsheets import csv_download

from . import youth_certificate_codes as codes
from . import youth_certificates
from .models import Cohort, Participant
from .selectors import youth_impact
from .services import youth_certificates as certificates_service
from .staff_views import acting_staff, community_page, figures_page, programme_jurisdiction

# Checks of certificate codes from one client address an hour (the codes are random: this only slows guessing).
CERTIFICATE_CHECKS_PER_HOUR = 60


def _cohort(request: HttpRequest, slug: str) -> Cohort:
    jurisdiction = programme_jurisdiction(request)
    return get_object_or_404(Cohort.objects.select_related("jurisdiction"), jurisdiction=jurisdiction, slug=slug)


# --- the impact report --------------------------------------------------------------------------------------


def _report_context(request: HttpRequest, cohort: Cohort) -> dict[str, object]:
    return {
        "cohort": cohort,
        "report": youth_impact.impact_report(cohort),
        "may_run": roles.may_run_community_programmes(request.user),
    }


@require_GET
@figures_page
def impact(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _cohort(request, slug)
    return render(request, "community/youth/impact.html", _report_context(request, cohort))


@require_GET
@figures_page
def impact_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _cohort(request, slug)
    with timezone.override(cohort.jurisdiction.zone):
        html = render_to_string("community/youth/impact_pdf.html", _report_context(request, cohort), request=request)
    return pdf_download(f"impact-{cohort.slug}.pdf", render_pdf(html))


@require_GET
@figures_page
def impact_csv(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _cohort(request, slug)
    return csv_download(f"impact-{cohort.slug}.csv", youth_impact.csv_rows(youth_impact.impact_report(cohort)))


# --- certificates (staff) -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@community_page
def certificates(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _cohort(request, slug)
    if request.method == "POST":
        try:
            chosen = request.POST.get("participant", "")
            if chosen:
                participant = get_object_or_404(Participant, cohort=cohort, pk=chosen if chosen.isdigit() else 0)
                certificates_service.issue_certificate(participant, acting_staff(request))
                messages.success(request, _("The certificate was issued."))
            else:
                issued = certificates_service.issue_certificates(cohort, acting_staff(request))
                messages.success(request, _("Certificates issued: %(count)d.") % {"count": len(issued)})
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("community:youth_certificates", slug=cohort.slug)
    participants = list(cohort.participants.order_by("first_name", "last_initial", "pk"))
    rows = [(participant, certificates_service.refusal(participant, cohort)) for participant in participants]
    return render(
        request,
        "community/youth/certificates.html",
        {
            "cohort": cohort,
            "rows": rows,
            "waiting": sum(1 for participant, problem in rows if not problem and not participant.certificate_code),
            "issued": sum(1 for participant in participants if participant.certificate_code),
            "lookup_url": request.build_absolute_uri(reverse("community:youth_certificate_lookup")),
        },
    )


@require_GET
@community_page
def certificate_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = _cohort(request, slug)
    participant = get_object_or_404(
        Participant, cohort=cohort, pk=pk, certificate_code__isnull=False, completed_at__isnull=False
    )
    participant.cohort = cohort
    return pdf_download(
        youth_certificates.certificate_filename(participant), youth_certificates.certificate_pdf(participant)
    )


@require_GET
@community_page
def certificates_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _cohort(request, slug)
    holders = youth_impact.certificate_holders(cohort)
    if not holders:
        messages.error(request, _("No certificate has been issued in this cohort yet."))
        return redirect("community:youth_certificates", slug=cohort.slug)
    pdf = youth_certificates.cohort_certificates_pdf(cohort, holders)
    return pdf_download(youth_certificates.cohort_filename(cohort), pdf)


# --- the public verification ---------------------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=40,
        help_text=gettext_lazy("The ten letters and digits printed at the bottom of the certificate."),
    )

    def clean_code(self) -> str:
        code = codes.normalise_code(self.cleaned_data["code"])
        if len(code) != codes.CODE_LENGTH:
            raise ValidationError(_("A verification code has ten letters and digits, like K7MQA-X3TRD."))
        return code


def _private(response: HttpResponse) -> HttpResponse:
    """Kept out of search engines, shared caches and other sites' Referer headers (the code is in the address)."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
@never_cache
def certificate_lookup(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("community:youth_certificate_check", code=codes.format_code(form.cleaned_data["code"]))
    return _private(
        render(request, "community/youth/certificate_lookup.html", {"form": form}, status=400 if request.GET else 200)
    )


def _check_rate() -> rate_limits.Rate:
    return rate_limits.Rate(
        "youth-certificate-check",
        getattr(settings, "CIVIC311_CERTIFICATE_CHECKS_PER_HOUR", CERTIFICATE_CHECKS_PER_HOUR),
        3600,
    )


@require_GET
@never_cache
def certificate_check(request: HttpRequest, code: str) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    verdict = rate_limits.hit(_check_rate(), rate_limits.client_address(request))
    if not verdict.allowed:
        context = {"too_many": True, "minutes": verdict.retry_after_minutes, "form": CodeForm()}
        response = render(request, "community/youth/certificate_check.html", context, status=429)
        response["Retry-After"] = str(verdict.retry_after)
        return _private(response)
    found = youth_impact.find_certificate(code)
    if found is not None and found.cohort.jurisdiction_id != jurisdiction.pk:
        found = None  # another city's certificate is not this site's to confirm
    if found is None or found.completed_at is None:
        return _private(
            render(request, "community/youth/certificate_check.html", {"found": False, "form": CodeForm()}, status=404)
        )
    cohort = found.cohort
    anonymised = found.anonymised_at is not None or cohort.anonymised_at is not None
    context = {
        "found": True,
        "code": codes.format_code(found.certificate_code or ""),
        "name": "" if anonymised else found.display_name,
        "cohort_name": cohort.name,
        "completed_on": timezone.localdate(found.completed_at, timezone=jurisdiction.zone),
        "form": CodeForm(),
    }
    return _private(render(request, "community/youth/certificate_check.html", context))
