from django.urls import path

from . import help_pages as views

app_name = "knowledge"

# Fixed paths first: an article's slug may not be one of them (`RESERVED_SLUGS`).
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("translations/", views.translations_due, name="translations"),
    path("category/<slug:slug>/", views.category, name="category"),
    path("<slug:slug>/feedback/", views.feedback, name="feedback"),
    path("<slug:slug>/", views.article, name="article"),
]
