from django.urls import URLPattern, path

from . import views

app_name = "insights"

urlpatterns: list[URLPattern] = [
    path("search/", views.search_analytics, name="search"),
    path("search/zero-results.csv", views.zero_results_csv, name="zero_results_csv"),
]
