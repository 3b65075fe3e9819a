"""/community/: liaisons' activity, messages to liaisons, community meetings, and the programme's figures."""

from django.urls import path

from . import engagement_views

urlpatterns = [
    path("figures/", engagement_views.figures, name="figures"),
]
