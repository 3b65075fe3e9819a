"""Template filters of the public neighborhood pages."""

from __future__ import annotations

from django import template

from civic311.catalogue.models import Service

register = template.Library()


@register.filter
def service_name(service: Service) -> str:
    """A service's name in the reader's language: `{{ item.service|service_name }}`."""
    return service.localized("name")
