"""The staff pages of a resident's rights (docs/privacy.md): a copy of everything held about a customer, and
erasure on request. Linked from the customer's page in the admin, and drawn like the admin's own pages.

Active staff only (others go to the staff sign-in); a customer is only found by staff who may see contact
details (404 otherwise, as in the customer admin); the roles' rules `may_export_personal_data` and
`may_erase_personal_data` decide the rest (403). Both write to the personal-data audit, as "admin".
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from civic311.people import roles, selectors
from civic311.people.models import Customer, User

from .export import export_customer, export_filename, export_json
from .retention import erase_customer, open_requests_of, programme_records_of

# The `where` of the audit rows these pages write: the customer's page in the admin, where staff start.
WHERE = "admin"


def _customer_or_404(request: HttpRequest, customer_id: int) -> Customer:
    """The customer's live record (the survivor of a merge), for staff who may see customers at all."""
    customer = (
        Customer.objects.select_related("jurisdiction").filter(pk=customer_id).first()
        if selectors.may_see_contact_details(request.user)
        else None
    )
    if customer is None:
        raise Http404(_("No such customer."))
    return selectors.survivor_of(customer)


def _change_page(customer: Customer) -> str:
    return reverse("admin:people_customer_change", args=[customer.pk])


@never_cache
@staff_member_required
def export_customer_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Download everything held about the customer as one JSON file (an EXPORT row in the audit)."""
    customer = _customer_or_404(request, customer_id)
    actor: User = request.user  # type: ignore[assignment]  # active staff: staff_member_required
    now = timezone.now()
    data = export_customer(customer, actor=actor, where=WHERE, now=now)  # PermissionDenied: 403
    response = HttpResponse(export_json(data), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(customer, now)}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@staff_member_required
def erase_customer_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """GET: what erasing will do, or why it cannot be done yet; POST: erase (an ERASE row in the audit)."""
    customer = _customer_or_404(request, customer_id)
    actor: User = request.user  # type: ignore[assignment]  # active staff: staff_member_required
    if not roles.may_erase_personal_data(actor, customer.jurisdiction_id):
        raise PermissionDenied(_("You may not erase customers' personal data."))
    change_url = _change_page(customer)
    if request.method == "POST":
        try:
            counts = erase_customer(customer, actor=actor, where=WHERE)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The customer's personal data was erased. Their requests, and the public history of those, stay."),
            )
            if counts.get("liaisons_withdrawn"):
                messages.info(
                    request,
                    _(
                        "They were a neighborhood liaison: they were withdrawn from the program first, and "
                        "their access ended."
                    ),
                )
        return HttpResponseRedirect(change_url)
    return TemplateResponse(
        request,
        "privacy/erase_customer.html",
        {
            **admin.site.each_context(request),
            "title": _("Erase a customer's personal data"),
            "opts": Customer._meta,
            "original": customer,
            "open_requests": open_requests_of(customer),
            "already_anonymised": customer.anonymised_at is not None,
            "liaison_programme": programme_records_of(customer),
            "change_url": change_url,
        },
    )
