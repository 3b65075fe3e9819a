"""SLA escalation: each department's ladder, the sweep that climbs it, and the missed-date redress.

Plain functions; `civic311.service_requests.tasks.sweep_escalations` runs `sweep` every five minutes.

- A step fires `offset_business_days` business days from the request's due date (`expected_at`), at the
  due date's wall-clock time, counted in the jurisdiction's business calendar (weekends and holidays do
  not count). Negative is before, 0 at, positive after.
- Only open requests with a due date escalate. A step fires at most once per request and due date: the
  `Escalation` row is inserted in a savepoint, and the unique constraint turns a second insert (another
  worker, or the same sweep run twice) into an IntegrityError that means "someone else did it".
- The escalation's history entry is written in its transaction, with its announcement (the transactional
  outbox): notifications makes the e-mails to the step's people from that entry
  (`civic311.notifications.services.tell_escalation`), so both are kept or neither is.
- Once an open request passes its due date, one public REDRESS history entry tells the resident, and the
  request becomes a priority. The claim is a conditional UPDATE of `redress_due_at`, so it happens once
  per due date, however many sweeps run.
- A reopened request has a new due date: its ladder and its redress start again for that date; the old
  escalations stay as history (they count for the old date only).
- History is history: requests loaded by `import_requests` (`is_imported`) never escalate nor get a
  redress, and neither does a step or a missed date whose moment passed more than
  `CIVIC311_ESCALATION_STALE_DAYS` ago (a window long closed: a 2020 due date is not live work). Such a
  request gets no history entry, no e-mail, and its `updated_at` is left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from civic311.catalogue.models import EscalationStep
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.calendar import BusinessCalendar

from . import services
from .lifecycle import OPEN_STATES
from .models import Escalation, ServiceRequest

logger = logging.getLogger(__name__)

# Requests handled per query while sweeping; the sweep walks them all, batch after batch.
BATCH = 200
# How far ahead of the due date a request is looked at, in calendar days per business day of the
# earliest step (plus slack for holidays); a generous bound, the exact time is computed per request.
_CALENDAR_DAYS_PER_BUSINESS_DAY = 3
_SLACK_DAYS = 14


def stale_before(now: dt.datetime) -> dt.datetime:
    """A step or a missed date whose moment is before this is a window long closed: never acted on."""
    return now - dt.timedelta(days=settings.CIVIC311_ESCALATION_STALE_DAYS)


def step_due_at(calendar: BusinessCalendar, expected_at: dt.datetime, offset_business_days: int) -> dt.datetime:
    if offset_business_days == 0:
        return expected_at
    local = expected_at.astimezone(calendar.zone)
    day = calendar.shift_business_days(local.date(), offset_business_days)
    return dt.datetime.combine(day, local.time(), tzinfo=calendar.zone).astimezone(dt.UTC)


def escalation_due_at(service_request: ServiceRequest, step: EscalationStep) -> dt.datetime | None:
    """When `step` fires for the request's current due date; None for a request without one."""
    if service_request.expected_at is None:
        return None
    calendar = places.business_calendar(service_request.jurisdiction)
    return step_due_at(calendar, service_request.expected_at, step.offset_business_days)


# --- the sweep ---------------------------------------------------------------------------------------


def escalate(service_request: ServiceRequest, steps: Iterable[EscalationStep], now: dt.datetime) -> int:
    """Fire every step of `steps` that is due for the request; one transaction. Returns how many fired."""
    due = service_request.expected_at
    if due is None or service_request.is_imported:
        return 0
    calendar = places.business_calendar(service_request.jurisdiction)
    too_old = stale_before(now)
    fired = 0
    with transaction.atomic():
        # Locks the request (PostgreSQL) so a status change cannot close it under us; gone or closed or
        # given a new date since it was read: nothing to do.
        current = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .filter(
                pk=service_request.pk, status__in=[s.value for s in OPEN_STATES], expected_at=due, is_imported=False
            )
            .exists()
        )
        if not current:
            return 0
        for step in steps:
            at = step_due_at(calendar, due, step.offset_business_days)
            if at > now or at < too_old:  # not yet, or a window long closed
                continue
            try:
                with transaction.atomic():
                    escalation = Escalation.objects.create(
                        service_request=service_request, step=step, due_at=due, escalated_at=now
                    )
            except IntegrityError:
                continue  # someone else did it
            services.record_escalation(service_request, escalation, now=now)
            fired += 1
    return fired


def redress(service_request: ServiceRequest, now: dt.datetime) -> bool:
    """The missed-date follow-up, once per due date; True if this call made it. Never for an imported
    request nor a date missed longer ago than the stale limit: telling a resident today that we missed a
    date years ago, as if it were news, is wrong."""
    if service_request.is_imported or service_request.expected_at is None:
        return False
    if service_request.expected_at < stale_before(now):
        return False
    return services.record_redress(service_request, now=now) is not None


def _candidates(now: dt.datetime):
    """Open requests with a due date that may have a step due or a redress to make (a superset)."""
    earliest = EscalationStep.objects.filter(offset_business_days__lt=0).order_by("offset_business_days").first()
    lead_days = -earliest.offset_business_days if earliest else 0
    horizon = now + dt.timedelta(days=lead_days * _CALENDAR_DAYS_PER_BUSINESS_DAY + _SLACK_DAYS)
    # The latest step still inside the stale limit belongs to a due date at most this far back.
    latest = EscalationStep.objects.filter(offset_business_days__gt=0).order_by("-offset_business_days").first()
    lag_days = latest.offset_business_days if latest else 0
    oldest = stale_before(now) - dt.timedelta(days=lag_days * _CALENDAR_DAYS_PER_BUSINESS_DAY + _SLACK_DAYS)
    steps = (
        EscalationStep.objects.filter(department=OuterRef("department"))
        .order_by()
        .values("department")
        .annotate(n=Count("pk"))
        .values("n")
    )
    done = (
        Escalation.objects.filter(service_request=OuterRef("pk"), due_at=OuterRef("expected_at"))
        .order_by()
        .values("service_request")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        ServiceRequest.objects.filter(
            status__in=[status.value for status in OPEN_STATES], expected_at__gte=oldest, is_imported=False
        )
        .annotate(
            steps_total=Coalesce(Subquery(steps, output_field=IntegerField()), 0),
            steps_done=Coalesce(Subquery(done, output_field=IntegerField()), 0),
        )
        .filter(
            Q(expected_at__lte=horizon, steps_done__lt=F("steps_total"))
            | (Q(expected_at__lt=now) & (Q(redress_due_at__isnull=True) | ~Q(redress_due_at=F("expected_at"))))
        )
    )


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Escalate every open request whose next step is due and follow up every missed date.

    Safe to run twice and on several workers at once: every escalation and redress is claimed by the
    database (a unique row, a conditional UPDATE) before anyone is told.
    """
    now = now or timezone.now()
    counts = {"escalated": 0, "redressed": 0}
    ladders: dict[int, list[EscalationStep]] = {}
    last_pk = 0
    while True:
        batch = list(
            _candidates(now)
            .filter(pk__gt=last_pk)
            .select_related("jurisdiction", "service", "department")
            .order_by("pk")[:BATCH]
        )
        if not batch:
            break
        last_pk = batch[-1].pk
        missing = {r.department_id for r in batch} - set(ladders)
        for department_id in missing:
            ladders[department_id] = []
        for step in EscalationStep.objects.filter(department_id__in=missing).select_related("notify_user"):
            ladders[step.department_id].append(step)
        for service_request in batch:
            steps = sorted(ladders[service_request.department_id], key=lambda s: (s.order, s.pk))
            counts["escalated"] += escalate(service_request, steps, now)
            assert service_request.expected_at is not None
            if service_request.expected_at < now and redress(service_request, now):
                counts["redressed"] += 1
    if counts["escalated"] or counts["redressed"]:
        logger.info("escalation sweep: %(escalated)d escalations, %(redressed)d redress follow-ups", counts)
    return counts
