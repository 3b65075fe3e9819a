"""/neighborhoods/: each neighborhood's public account (page, JSON, map points, Atom feed)."""

from django.urls import path

from . import neighborhood_views

app_name = "neighborhoods"

urlpatterns = [
    path("", neighborhood_views.index, name="index"),
    path("<slug:slug>/", neighborhood_views.neighborhood, name="detail"),
    path("<slug:slug>/figures.json", neighborhood_views.figures_json, name="figures_json"),
    path("<slug:slug>/map.json", neighborhood_views.map_json, name="map_json"),
    path("<slug:slug>/feed.atom", neighborhood_views.feed, name="feed"),
]
