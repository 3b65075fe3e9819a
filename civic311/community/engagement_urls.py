"""/community/: liaisons' activity, messages to liaisons, community meetings, and the program's figures."""

from django.urls import path

from . import engagement_views

urlpatterns = [
    path("liaisons/", engagement_views.liaisons, name="liaisons"),
    path("liaisons/<int:pk>/", engagement_views.liaison, name="liaison"),
    path("meetings/", engagement_views.meetings, name="meetings"),
    path("meetings/new/", engagement_views.meeting_new, name="meeting_new"),
    path("messages/", engagement_views.messages, name="messages"),
    path("messages/new/", engagement_views.message_new, name="message_new"),
    path("figures/", engagement_views.figures, name="figures"),
    path("figures/program.pdf", engagement_views.figures_pdf, name="figures_pdf"),
    path("figures/program.csv", engagement_views.figures_csv, name="figures_csv"),
]
