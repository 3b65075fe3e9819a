"""The customer records of the CRM in the admin: find, edit, see a customer's whole history with the city
(contacts and requests), merge duplicates. Here rather than in `people`, which keeps the records: the
history reads service requests, a layer above people (README, "How civic311 is built")."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from civic311.people import roles, selectors
from civic311.people import services as customer_services
from civic311.people.models import Customer, CustomerAddress, CustomerEmail, CustomerPhone
from civic311.service_requests import selectors as request_selectors

ADMIN = "admin"  # where the personal-data audit says a look happened (the requester records say it too)


def _may_see_customers(request) -> bool:
    return selectors.may_see_contact_details(request.user)


def _may(request, permission: str) -> bool:
    return _may_see_customers(request) and request.user.has_perm(f"people.{permission}")


class _ContactDetailsFormSet(forms.BaseInlineFormSet):
    """Checks each phone or e-mail by the intake's rules and refuses the same one twice (in any format)."""

    kind = ""

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            errors: dict[str, list[str]] = {}
            if form.instance.pk and set(form.changed_data) <= {"is_primary"}:
                # Kept as stored (see _save_details): a number from before E.164 that today's rules refuse
                # must not block saving the rest of the record.
                key = form.instance.digits if self.kind == "phone" else form.instance.normalized
            elif self.kind == "phone":
                _written, key = customer_services.check_phone(form.cleaned_data.get("number", ""), errors, "number")
            else:
                _written, key = customer_services.check_email(form.cleaned_data.get("email", ""), errors, "email")
            for field, problems in errors.items():
                form.add_error(field, problems)
            if key and key in seen:
                form.add_error("number" if self.kind == "phone" else "email", _("This one is already in the list."))
            seen.add(key)


class _PhoneFormSet(_ContactDetailsFormSet):
    kind = "phone"


class _EmailFormSet(_ContactDetailsFormSet):
    kind = "email"


class _CustomerInline(admin.TabularInline):
    extra = 0

    def has_view_permission(self, request, obj=None) -> bool:
        return _may_see_customers(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return _may(request, "change_customer")

    def has_change_permission(self, request, obj=None) -> bool:
        return _may(request, "change_customer")

    def has_delete_permission(self, request, obj=None) -> bool:
        return _may(request, "change_customer")


class PhoneInline(_CustomerInline):
    model = CustomerPhone
    formset = _PhoneFormSet
    fields = ("number", "label", "is_primary")


class EmailInline(_CustomerInline):
    model = CustomerEmail
    formset = _EmailFormSet
    fields = ("email", "is_primary")


class AddressInline(_CustomerInline):
    model = CustomerAddress
    fields = ("address", "zipcode", "lat", "long", "is_primary")


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ("jurisdiction", "first_name", "last_name", "preferred_language", "consent_contact", "consent_survey")

    def clean(self):
        data = super().clean() or {}
        if self.instance.pk is None and not (data.get("first_name") or data.get("last_name")):
            raise ValidationError({"last_name": _("Give at least a name.")})
        return data


class MergeForm(forms.Form):
    survivor = forms.IntegerField(label=_("Keep record number"), min_value=1)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Residents the contact centre knows. Only staff who may see contact details see this at all; every
    look is audited (VIEW on the change page, SEARCH for a search), and every change goes through
    `civic311.people.services`."""

    form = CustomerForm
    list_display = ("__str__", "requests", "consent_contact", "consent_survey", "jurisdiction")
    list_filter = ("consent_contact", "consent_survey")
    # The search box needs a field; the search itself is `find_customers` (phone digits, e-mail, names).
    search_fields = ("last_name",)
    search_help_text = _("A phone number in any format (7 digits or more), an e-mail address, or names.")
    fields = (
        "jurisdiction",
        "first_name",
        "last_name",
        "preferred_language",
        "consent_contact",
        "consent_survey",
        "consent_updated_at",
        "merged_into",
        "created_at",
        "updated_at",
        "anonymised_at",
        "history",
    )
    readonly_fields = ("consent_updated_at", "merged_into", "created_at", "updated_at", "anonymised_at", "history")
    inlines = (PhoneInline, EmailInline, AddressInline)
    actions = ("merge_selected",)
    show_full_result_count = False
    list_per_page = 50

    def has_module_permission(self, request) -> bool:
        return _may_see_customers(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _may_see_customers(request)

    def has_add_permission(self, request) -> bool:
        return _may(request, "add_customer")

    def has_change_permission(self, request, obj=None) -> bool:
        return _may(request, "change_customer") and (
            obj is None or (obj.merged_into_id is None and obj.anonymised_at is None)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return roles.may_delete_records(request.user)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "jurisdiction")
        return self.readonly_fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("jurisdiction")
            .annotate(request_count=Count("requesters__service_requests", distinct=True))
        )

    @admin.display(description=_("requests"), ordering="request_count")
    def requests(self, customer: Customer) -> int:
        return getattr(customer, "request_count", 0)

    @admin.display(description=_("history across channels"))
    def history(self, customer: Customer) -> str:
        if customer.pk is None:
            return "—"
        items = request_selectors.customer_history(customer, limit=200)
        if not items:
            return str(_("No contacts or requests yet."))
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("when"),
            _("channel"),
            _("outcome"),
            _("service"),
            _("tracking number"),
            _("status"),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(timezone.localtime(item.at), "SHORT_DATETIME_FORMAT"),
                    item.channel_label,
                    item.outcome_label,
                    item.service,
                    item.tracking_number,
                    item.status_label,
                )
                for item in items
            ),
        )
        return format_html("<table>{}{}</table>", header, rows)

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            # The list shows live records; merged ones are reached from their survivor.
            return queryset.filter(merged_into=None), False
        found = selectors.find_customers(None, search_term, actor=request.user, where=ADMIN)
        return queryset.filter(pk__in=[customer.pk for customer in found]), False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self.get_object(request, object_id)
        if customer is not None and request.method == "GET":
            selectors.customer_details_for(request.user, customer, where=ADMIN)
        if customer is not None and customer.merged_into_id is None:
            # The buttons to the privacy app's pages (civic311/privacy, docs/privacy.md), for those it lets in.
            extra_context = {
                **(extra_context or {}),
                "may_see_customer_journey": roles.may_see_customer_journey(request.user),
                "may_export_personal_data": roles.may_export_personal_data(request.user, customer.jurisdiction_id),
                "may_erase_personal_data": (
                    customer.anonymised_at is None
                    and roles.may_erase_personal_data(request.user, customer.jurisdiction_id)
                ),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj: Customer, form, change: bool) -> None:
        data = form.cleaned_data
        try:
            if not change:
                # The phones, e-mails and addresses come in the inlines, saved right after.
                created = customer_services.create_customer(
                    data["jurisdiction"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    preferred_language=data["preferred_language"],
                    consent_contact=data["consent_contact"],
                    consent_survey=data["consent_survey"],
                    actor=request.user,
                    where=ADMIN,
                )
                obj.pk = created.pk
                obj.refresh_from_db()
                return
            current = Customer.objects.get(pk=obj.pk)
            customer_services.update_customer(
                current,
                first_name=data["first_name"],
                last_name=data["last_name"],
                preferred_language=data["preferred_language"],
                actor=request.user,
                where=ADMIN,
            )
            contact, survey = data["consent_contact"], data["consent_survey"]
            if (contact, survey) != (current.consent_contact, current.consent_survey):
                customer_services.record_consent(
                    current, contact=contact, survey=survey, actor=request.user, where=ADMIN
                )
            obj.refresh_from_db()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))

    def save_formset(self, request, form, formset, change: bool) -> None:
        customer = Customer.objects.get(pk=form.instance.pk)
        # The admin's change message lists these; left empty, so the log never holds contact details.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        try:
            self._save_details(request, customer, formset)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))

    def _save_details(self, request, customer: Customer, formset) -> None:
        model = formset.model
        actions: dict[type, tuple[Callable[..., object], Callable[..., object], Callable[..., object]]] = {
            CustomerPhone: (self._add_phone, customer_services.remove_phone, customer_services.set_primary_phone),
            CustomerEmail: (self._add_email, customer_services.remove_email, customer_services.set_primary_email),
            CustomerAddress: (
                self._add_address,
                customer_services.remove_address,
                customer_services.set_primary_address,
            ),
        }
        add, remove, set_primary = actions[model]
        with transaction.atomic():
            for item_form in formset.forms:
                data = getattr(item_form, "cleaned_data", None)
                if not data:
                    continue
                item = item_form.instance
                if data.get("DELETE"):
                    if item.pk:
                        remove(model.objects.get(pk=item.pk), actor=request.user, where=ADMIN)
                    continue
                if item.pk and item_form.has_changed():
                    # A changed number is the old one removed and the new one added, through the same rules.
                    stored = model.objects.get(pk=item.pk)
                    if set(item_form.changed_data) <= {"is_primary"}:
                        if data["is_primary"]:
                            set_primary(stored, actor=request.user, where=ADMIN)
                        continue
                    remove(stored, actor=request.user, where=ADMIN)
                    add(request, customer, data)
                elif not item.pk:
                    add(request, customer, data)

    def _add_phone(self, request, customer: Customer, data) -> None:
        customer_services.add_phone(
            customer,
            data["number"],
            label=data.get("label") or CustomerPhone.Label.MOBILE,
            primary=bool(data.get("is_primary")),
            actor=request.user,
            where=ADMIN,
        )

    def _add_email(self, request, customer: Customer, data) -> None:
        customer_services.add_email(
            customer, data["email"], primary=bool(data.get("is_primary")), actor=request.user, where=ADMIN
        )

    def _add_address(self, request, customer: Customer, data) -> None:
        customer_services.add_address(
            customer,
            {
                "address": data["address"],
                "zipcode": data.get("zipcode") or "",
                "lat": data.get("lat"),
                "long": data.get("long"),
            },
            primary=bool(data.get("is_primary")),
            actor=request.user,
            where=ADMIN,
        )

    @admin.action(description=_("Merge the two selected customers…"), permissions=["change"])
    def merge_selected(self, request, queryset):
        records = list(queryset.order_by("created_at", "pk")[:3])
        if len(records) != 2:
            self.message_user(request, _("Select exactly two customers to merge."), messages.WARNING)
            return None
        form = MergeForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            survivor_pk = form.cleaned_data["survivor"]
            by_pk = {record.pk: record for record in records}
            if survivor_pk not in by_pk:
                self.message_user(request, _("Keep one of the two selected records."), messages.ERROR)
                return None
            duplicate = next(record for record in records if record.pk != survivor_pk)
            try:
                survivor = customer_services.merge_customers(
                    by_pk[survivor_pk], duplicate, actor=request.user, where=ADMIN
                )
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, text, messages.ERROR)
                return None
            self.message_user(
                request, _("The records were merged into %(customer)s.") % {"customer": survivor}, messages.SUCCESS
            )
            return None
        return TemplateResponse(
            request,
            "admin/people/customer/merge.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Merge two customer records"),
                "opts": self.model._meta,
                "records": [(record, request_selectors.customer_history(record, limit=5)) for record in records],
                "queryset": records,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "form": form,
            },
        )
