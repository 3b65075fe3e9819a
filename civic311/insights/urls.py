from django.urls import URLPattern, path

from . import board_views, views

app_name = "insights"

urlpatterns: list[URLPattern] = [
    path("search/", views.search_analytics, name="search"),
    path("search/zero-results.csv", views.zero_results_csv, name="zero_results_csv"),
    path("board/", board_views.reader_board, name="board"),
    path("board/screen/<str:token>/", board_views.screen_board, name="board_screen"),
    path("social/", views.social_trends, name="social_trends"),
    path("social/weeks.csv", views.social_trends_csv, name="social_trends_csv"),
]
