"""Background work about service requests, written against Django's tasks API and run by Huey."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


@task()
def alert_department_of_hazard(service_request_id: int) -> bool:
    """Tell the responsible department at once about a request that an answer marked hazardous."""
    from .models import HistoryEntry, ServiceRequest

    service_request = (
        ServiceRequest.objects.select_related("department", "service").filter(pk=service_request_id).first()
    )
    if service_request is None or not service_request.department.contact_email:
        return False
    alerts = service_request.history.filter(kind=HistoryEntry.Kind.HAZARD).values_list("text", flat=True)
    with translation.override("en"):
        subject = _("Hazard: %(service)s, request %(number)s") % {
            "service": service_request.service.name, "number": service_request.tracking_number,
        }
        body = "\n".join([*alerts, "", service_request.address or "",
                          f"{service_request.lat}, {service_request.long}" if service_request.lat else ""])
    send_mail(subject, body.strip(), None, [service_request.department.contact_email])
    logger.info("hazard alert sent for request %s", service_request.tracking_number)
    return True


@db_periodic_task(crontab(minute="*/5"))
def sweep_escalations() -> dict[str, int]:
    """Climb each department's escalation ladder and follow up missed dates (safe to run twice at once)."""
    from . import escalation

    return escalation.sweep()
