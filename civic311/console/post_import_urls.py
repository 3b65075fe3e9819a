"""Importing social media posts from a CSV file (being built)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
