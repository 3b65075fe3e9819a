"""/liaison/: a signed-in liaison's pages (dashboard, report on behalf, a meeting's notes as requests)."""

from django.urls import path

from . import liaison_views

app_name = "liaison"

urlpatterns = [
    path("", liaison_views.dashboard, name="dashboard"),
]
