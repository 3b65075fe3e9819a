"""/neighborhoods/: each neighborhood's public account (page, JSON, Atom feed)."""

from django.urls import path

from . import neighborhood_views

app_name = "neighborhoods"

urlpatterns = [
    path("<slug:slug>/", neighborhood_views.neighborhood, name="detail"),
]
