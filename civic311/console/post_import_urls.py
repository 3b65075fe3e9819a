"""Importing social media posts from a CSV file, for a supervisor (`console:post_import`)."""

from django.urls import URLPattern, path

from . import post_imports

urlpatterns: list[URLPattern] = [
    path("inbox/import-posts/", post_imports.import_posts, name="post_import"),
]
