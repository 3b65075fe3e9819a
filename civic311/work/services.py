"""Writes for department work: bulk actions over the queue, closing with an after photo, saved views,
response templates.

Every change to a request goes through `civic311.service_requests.services` with the acting user, so the
lifecycle and the roles' rules apply to a bulk action exactly as to one request.

Bulk actions are all-or-nothing: the batch runs in one transaction; when any request is refused
(PermissionDenied or ValidationError) every change is rolled back and `BulkActionRefused` lists each
refused request with its reasons. A person who picked 20 requests to close learns which ones stand in
the way, fixes or unticks them and tries again, instead of guessing which half went through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from civic311.catalogue.models import Department
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import User
from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Photo, ServiceRequest

from . import selectors
from .models import ResponseTemplate, SavedView

# One page of the queue is 50; two pages is the most one click should change.
BULK_LIMIT = 100


@dataclass(frozen=True)
class Refusal:
    tracking_number: str
    messages: list[str]


class BulkActionRefused(Exception):
    """A batch that changed nothing because these requests were refused."""

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__(f"{len(refusals)} requests refused")
        self.refusals = refusals


def _chosen(actor: User, jurisdiction: Jurisdiction | None, ids: Iterable[object]) -> list[ServiceRequest]:
    """The requests behind the ticked ids, as the actor may see them; bad input is a ValidationError."""
    wanted: list[int] = []
    for raw in ids:
        text = str(raw).strip()
        if not text.isdigit() or len(text) > 18:
            raise ValidationError({"requests": _("The chosen requests are not valid.")})
        if int(text) not in wanted:
            wanted.append(int(text))
    if not wanted:
        raise ValidationError({"requests": _("Tick at least one request.")})
    if len(wanted) > BULK_LIMIT:
        raise ValidationError({"requests": _("Choose at most %(max)d requests at a time.") % {"max": BULK_LIMIT}})
    scope = selectors.department_scope(actor, jurisdiction, None)
    found = {request.pk: request for request in scope.filter(pk__in=wanted)}
    if len(found) != len(wanted):
        # Someone else's request, or one that no longer exists: nothing is said about which.
        raise ValidationError({"requests": _("Some of the chosen requests are not in your queues.")})
    return [found[pk] for pk in wanted]


def _run(chosen: list[ServiceRequest], action: Callable[[ServiceRequest], object]) -> list[ServiceRequest]:
    """Apply `action` to each request in one transaction; roll everything back if any is refused."""
    refusals: list[Refusal] = []
    with transaction.atomic():
        for service_request in chosen:
            try:
                # A savepoint each: a refused request's partial writes go, the others' stay until the end.
                with transaction.atomic():
                    action(service_request)
            except PermissionDenied as exc:
                refusals.append(
                    Refusal(service_request.tracking_number, [str(exc) or _("You may not change this request.")])
                )
            except ValidationError as exc:
                refusals.append(Refusal(service_request.tracking_number, list(exc.messages)))
        if refusals:
            raise BulkActionRefused(refusals)
    return chosen


def bulk_assign(
    ids: Iterable[object], assignee: User | None, *, actor: User, jurisdiction: Jurisdiction | None
) -> list[ServiceRequest]:
    """Give every chosen request to `assignee` (who must work each request's department)."""
    if assignee is None:
        raise ValidationError({"assignee": _("Choose who the requests are assigned to.")})
    chosen = _chosen(actor, jurisdiction, ids)
    return _run(chosen, lambda service_request: requests.assign(service_request, assignee, actor=actor))


def bulk_change_status(
    ids: Iterable[object], to_status: str, *, actor: User, jurisdiction: Jurisdiction | None, public_reason: str = ""
) -> list[ServiceRequest]:
    """Move every chosen request to `to_status`, with the public reason the status needs."""
    chosen = _chosen(actor, jurisdiction, ids)
    return _run(
        chosen,
        lambda service_request: requests.change_status(
            service_request, to_status, actor=actor, public_reason=public_reason
        ),
    )


def bulk_public_note(
    ids: Iterable[object],
    text: str,
    *,
    actor: User,
    jurisdiction: Jurisdiction | None,
    template: ResponseTemplate | None = None,
) -> list[ServiceRequest]:
    """The same public note on every chosen request; placeholders are filled in for each. With a template
    and no text, the template's text (refused for a request of a department the template is not for)."""
    chosen = _chosen(actor, jurisdiction, ids)

    def note(service_request: ServiceRequest) -> None:
        body = text.strip() if text and text.strip() else None
        if body is None and template is not None:
            body = render_template(template, service_request)
        else:
            body = fill_placeholders(body or "", service_request)
        requests.add_note(service_request, body, actor=actor, public=True)

    return _run(chosen, note)


# --- saved views ------------------------------------------------------------------------------------


def change_status_with_after_photo(
    service_request: ServiceRequest,
    to_status: str,
    *,
    actor: User,
    public_reason: str = "",
    internal_note: str = "",
    after_photo: UploadedFile[bytes] | None = None,
) -> None:
    """Change the status and, when closing, store the photo of the finished work as an "after" photo (public,
    as the photo form's default is): both or neither. A refused photo keeps the request as it was, with the
    photo's errors under "after_photo"."""
    if after_photo and to_status != Status.CLOSED:
        raise ValidationError({"after_photo": _("An after photo goes with closing. Use “Add a photo” for any other.")})
    with transaction.atomic():
        requests.change_status(
            service_request, to_status, actor=actor, public_reason=public_reason, internal_note=internal_note
        )
        if after_photo:
            try:
                requests.add_photo(service_request, after_photo, actor=actor, stage=Photo.Stage.AFTER, public=True)
            except ValidationError as error:  # rolls the status change back
                raise ValidationError({"after_photo": error.messages}) from None


def save_view(
    owner: User, name: str, query: str, *, jurisdiction: Jurisdiction | None, department: Department | None = None
) -> SavedView:
    """Save (or replace, by name) one of the owner's queue views; with a department it is shared there.

    Only someone who works a department's queue may share with it.
    """
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Name the view.")]
    elif len(name) > SavedView.NAME_MAX:
        errors["name"] = [_("A name can be at most %(max)d characters.") % {"max": SavedView.NAME_MAX}]
    elif "\x00" in name:
        errors["name"] = [_("The name contains a character that is not allowed.")]
    cleaned = selectors.clean_query(query or "")
    if len(cleaned) > SavedView.QUERY_MAX:
        errors["query"] = [_("These filters are too long to save.")]
    if department is not None and not selectors.work_departments(owner, jurisdiction).filter(pk=department.pk).exists():
        errors["department"] = [_("You can share a view only with a department whose queue you work.")]
    if errors:
        raise ValidationError(errors)
    view, _created = SavedView.objects.update_or_create(
        owner=owner, name=name, defaults={"query": cleaned, "department": department}
    )
    return view


def delete_view(view: SavedView, *, actor: User) -> None:
    """Only its owner deletes a view (a shared view is theirs still)."""
    if view.owner_id != actor.pk:
        raise PermissionDenied(_("Only the person who saved this view can delete it."))
    view.delete()


# --- response templates -----------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(tracking_number|service|address)\}")


def fill_placeholders(text: str, service_request: ServiceRequest) -> str:
    """{tracking_number}, {service} and {address} filled in; any other brace is left as written.

    Plain substitution, never str.format: a template can reach no attribute of anything. The result is
    plain text, escaped like any other note wherever it is shown.
    """
    values = {
        "tracking_number": service_request.tracking_number,
        "service": service_request.service.localized("name"),
        "address": service_request.address or _("the reported location"),
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text or "")


def render_template(template: ResponseTemplate, service_request: ServiceRequest) -> str:
    """A response template's text for one request; refused for another city's or department's template."""
    if template.jurisdiction_id != service_request.jurisdiction_id or (
        template.department_id is not None and template.department_id != service_request.department_id
    ):
        raise ValidationError({"template": _("This template is not for this request's department.")})
    if not template.is_active:
        raise ValidationError({"template": _("This template is no longer in use.")})
    return fill_placeholders(template.body, service_request)
