from django.urls import URLPattern, path

from . import board_views, forecast_views, views

app_name = "insights"

urlpatterns: list[URLPattern] = [
    path("search/", views.search_analytics, name="search"),
    path("search/zero-results.csv", views.zero_results_csv, name="zero_results_csv"),
    path("board/", board_views.reader_board, name="board"),
    path("board/screen/<str:token>/", board_views.screen_board, name="board_screen"),
    path("social/", views.social_trends, name="social_trends"),
    path("social/weeks.csv", views.social_trends_csv, name="social_trends_csv"),
    path("forecast/", forecast_views.forecast, name="forecast"),
    path("forecast/forecast.csv", forecast_views.forecast_csv, name="forecast_csv"),
    path("forecast/adjust/", forecast_views.adjust, name="forecast_adjust"),
    path("forecast/adjust/<int:adjustment_id>/withdraw/", forecast_views.withdraw, name="forecast_withdraw"),
    path("forecast/target/", forecast_views.set_target, name="forecast_target"),
]
