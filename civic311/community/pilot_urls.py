"""Placeholder: filled by the part that owns it (see .scratch/BRIEF.md)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
