"""Department work on a request: transfers, follow-on requests, merged duplicates, assignment and staff
photos (docs/request-operations.md, docs/department-work.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Department
from civic311.people.models import User

from ..lifecycle import Status, allowed_next
from ..models import HistoryEntry, Photo, ServiceRequest
from ..photos import ProcessedPhoto
from .access import check_assignee, check_may_change, check_may_view
from .checks import check_photos, check_text
from .history import record_history
from .intake import Report, store_photo, submit
from .status_changes import change_status

logger = logging.getLogger(__name__)


def transfer(
    service_request: ServiceRequest,
    to_department: Department,
    *,
    actor: User | None,
    reason: str,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Hand an open request to another department of its city.

    The assignee is cleared (they belong to the old department); the status and the due date stay: the
    resident was given a date, and a transfer between departments must not push it back. Two history
    entries: an internal one with the reason, and a public one naming the new department.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    reason = check_text(reason, "reason", errors, required_message=_("Say why the request is transferred."))
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().select_related("department").get(pk=service_request.pk)
        check_may_change(actor, current)
        if to_department is None:
            errors["department"] = [_("Choose the department to transfer the request to.")]
        elif to_department.jurisdiction_id != current.jurisdiction_id:
            errors["department"] = [_("That department belongs to another jurisdiction.")]
        elif to_department.pk == current.department_id:
            errors["department"] = [_("The request is already with that department.")]
        if not current.is_open:
            errors["status"] = [_("A closed request cannot be transferred; reopen it first.")]
        if errors:
            raise ValidationError(errors)
        from_department = current.department
        current.department = to_department
        current.assignee = None
        current.updated_at = now
        current.save(update_fields=["department", "assignee", "updated_at"])
        record_history(
            current,
            HistoryEntry.Kind.TRANSFERRED,
            actor=actor,
            public=False,
            now=now,
            text=_("Transferred from %(from)s to %(to)s: %(reason)s")
            % {"from": from_department.name, "to": to_department.name, "reason": reason},
        )
        record_history(
            current,
            HistoryEntry.Kind.TRANSFERRED,
            actor=actor,
            public=True,
            now=now,
            text=_("Transferred to %(department)s.") % {"department": to_department.name},
        )
    return current


def create_follow_on(
    parent: ServiceRequest,
    *,
    service_code: str,
    description: str,
    actor: User | None,
    department: Department | None = None,
    answers: Mapping[str, catalogue.Answer] | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """File a child request at the parent's place for another department's service.

    It goes through `submit`, so every intake rule applies (the target service's questions, answered in
    `answers` as the report form's `attribute[CODE]` values, the city's bounds, safety rules);
    it is not a resident's contact and copies no personal data: no requester, no contact row. `department`
    overrides the routing. Call it outside any transaction of your own (as `submit`).
    """
    now = now or timezone.now()
    jurisdiction = parent.jurisdiction
    check_may_change(actor, parent)
    if department is not None and department.jurisdiction_id != parent.jurisdiction_id:
        raise ValidationError({"department": _("That department belongs to another jurisdiction.")})

    def link(child: ServiceRequest) -> None:
        locked = ServiceRequest.objects.select_for_update().get(pk=parent.pk)
        if department is not None and child.department_id != department.pk:
            child.department = department
            child.save(update_fields=["department"])
        if child.department_id == locked.department_id:
            raise ValidationError(
                {"service_code": _("A follow-on is for another department; this service goes to the same department.")}
            )
        record_history(
            locked,
            HistoryEntry.Kind.NOTE,
            actor=actor,
            public=False,
            now=now,
            text=_("Follow-on request #%(number)s filed for %(service)s.")
            % {"number": child.tracking_number, "service": child.service.name},
        )

    report = Report(
        service_code=service_code,
        description=description,
        address=parent.address,
        zipcode=parent.zipcode,
        lat=parent.lat,
        long=parent.long,
        neighborhood=parent.neighborhood.slug if parent.lat is None and parent.neighborhood is not None else "",
        answers=dict(answers or {}),
        channel=parent.channel,
        is_private=parent.is_private,
        parent=parent,
    )
    return submit(jurisdiction, report, actor=actor, also=link, now=now).service_request


def merge_duplicate(
    duplicate: ServiceRequest,
    original: ServiceRequest,
    *,
    actor: User | None,
    public_reason: str = "",
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Mark `duplicate` a duplicate of `original`, with a note on the original, in one transaction.

    Its followers come over when the status entry is announced (`civic311.notifications.services
    .follow_the_original`: notifications owns the subscriptions), as for any request marked a duplicate.
    Returns the duplicate.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Both rows, in a fixed order, so two merges of the same pair cannot deadlock.
        list(ServiceRequest.objects.select_for_update().filter(pk__in=[duplicate.pk, original.pk]).order_by("pk"))
        # The original gains followers and a note, so it must be theirs to see.
        check_may_view(actor, original)
        marked = change_status(
            duplicate, Status.DUPLICATE, actor=actor, public_reason=public_reason, duplicate_of=original, now=now
        )
        assert marked.duplicate_of_id is not None  # change_status sets it for a duplicate
        target = ServiceRequest.objects.get(pk=marked.duplicate_of_id)
        text = _("Merged request #%(number)s: %(description)s") % {
            "number": marked.tracking_number,
            "description": marked.description,
        }
        ServiceRequest.objects.filter(pk=target.pk).update(updated_at=now)
        record_history(target, HistoryEntry.Kind.NOTE, actor=actor, public=False, now=now, text=text)
        logger.info("request %s merged into %s", marked.tracking_number, target.tracking_number)
    return marked


def assign(
    service_request: ServiceRequest, assignee: User | None, *, actor: User | None, now: dt.datetime | None = None
) -> ServiceRequest:
    """Give an open request to a person of its department (or take it from them, with None).

    A request that may still become "assigned" (new, acknowledged, reopened) moves there through
    `change_status`; one already being worked keeps its status and only changes hands.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        check_may_change(actor, current)
        if assignee is not None and Status.ASSIGNED in allowed_next(current.status):
            return change_status(current, Status.ASSIGNED, actor=actor, assignee=assignee, now=now)
        errors: dict[str, list[str]] = {}
        if not current.is_open:
            errors["status"] = [_("A closed request cannot be assigned; reopen it first.")]
        elif assignee is not None:
            check_assignee(assignee, current, errors)
            if not errors and assignee.pk == current.assignee_id:
                return current  # already theirs: nothing to record (a bulk assignment may include it)
        elif current.assignee_id is None:
            errors["assignee"] = [_("The request is not assigned to anyone.")]
        if errors:
            raise ValidationError(errors)
        current.assignee = assignee
        current.updated_at = now
        current.save(update_fields=["assignee", "updated_at"])
        text = (_("Assigned to %(name)s.") % {"name": assignee}) if assignee is not None else _("Unassigned.")
        record_history(current, HistoryEntry.Kind.ASSIGNED, actor=actor, public=False, now=now, text=text)
    return current


def add_photo(
    service_request: ServiceRequest,
    upload: UploadedFile[bytes] | None,
    *,
    actor: User | None,
    stage: str,
    public: bool,
    now: dt.datetime | None = None,
) -> Photo:
    """Staff add a photo (before or after the work) to a request: checked and re-encoded as at intake.

    A public photo of a request that is not private gets a public history entry; otherwise internal.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if stage not in Photo.Stage.values:
        errors["stage"] = [_("Choose whether the photo is from before or after the work.")]
    if not upload:
        errors["photo"] = [_("Choose a photo.")]
        processed: list[ProcessedPhoto] = []
    else:
        processed = check_photos([upload], errors)
        if "photos" in errors:
            errors["photo"] = errors.pop("photos")
    if errors:
        raise ValidationError(errors)
    stored: Photo | None = None
    try:
        with transaction.atomic():
            current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
            check_may_change(actor, current)
            stored = store_photo(current, processed[0])
            stored.stage = stage
            stored.is_public = bool(public)
            stored.save(update_fields=["stage", "is_public"])
            current.updated_at = now
            current.save(update_fields=["updated_at"])
            label = Photo.Stage(stage).label
            record_history(
                current,
                HistoryEntry.Kind.PHOTO,
                actor=actor,
                public=bool(public) and not current.is_private,
                now=now,
                text=_("Photo added (%(stage)s).") % {"stage": label},
            )
    except BaseException:
        # The row is rolled back; the file written for it must go too.
        if stored is not None:
            stored.image.delete(save=False)
        raise
    return stored
