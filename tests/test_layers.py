"""Where a lower layer reaches a higher one's rows without importing it (README, "How civic311 is built"),
the names it uses must stay the higher layer's names: these fail when one side is renamed."""

from __future__ import annotations

from civic311.catalogue import services as catalogue_services
from civic311.catalogue.models import Service
from civic311.open311.models import ApiKey, ApiKeyActivity
from civic311.service_requests.models import ServiceRequest


def test_the_catalogue_reaches_the_requests_through_the_relation_that_points_at_it():
    assert catalogue_services._service_requests() is ServiceRequest
    assert Service._meta.get_field("service_requests").related_model is ServiceRequest


def test_the_webhook_audience_names_open311s_audit_as_open311_does():
    # notifications.selectors.webhooks_for filters on these two names (the behaviour: test_notifications,
    # "an API client hears signed events about the requests it filed").
    assert ApiKeyActivity.Action.CREATED_REQUEST == "created_request"
    assert ApiKey._meta.get_field("activity").related_model is ApiKeyActivity
