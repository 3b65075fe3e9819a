"""The inbox of e-mails, texts and posts, in the console (being built)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
