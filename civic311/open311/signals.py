"""Receivers of the Open311 client, connected in `Open311Config.ready`."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from civic311.requests.signals import service_request_filed

logger = logging.getLogger(__name__)


@receiver(service_request_filed, dispatch_uid="open311.forward_filed_request")
def forward_filed_request(sender, service_request, **kwargs) -> None:
    """A request was filed and committed: forward it if its department's work-order system takes it.

    Never raises: the request is already filed, and the sweep and the admin can still forward it.
    """
    from . import forwarding

    try:
        forwarding.forward_if_chosen(service_request)
    except Exception:
        logger.exception("could not queue request %s for forwarding", getattr(service_request, "tracking_number", "?"))
