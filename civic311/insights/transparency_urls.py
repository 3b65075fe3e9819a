"""/transparency/: the public dashboard of how the city answers its requests."""

from django.urls import URLPattern, path

from . import transparency_views

app_name = "transparency"

urlpatterns: list[URLPattern] = [
    path("", transparency_views.transparency, name="dashboard"),
]
