"""The reviewers' pages for the resident translations (`/translations/`)."""

from __future__ import annotations

from django.urls import path

from . import translation_views as views

app_name = "translations"

urlpatterns = [
    path("review/", views.overview, name="overview"),
    path("review/<str:code>/", views.language, name="language"),
]
