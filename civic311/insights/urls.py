from django.urls import URLPattern, path

from . import board_views, forecast_views, leadership_views, operations_views, views

app_name = "insights"

urlpatterns: list[URLPattern] = [
    path("search/", views.search_analytics, name="search"),
    path("search/zero-results.csv", views.zero_results_csv, name="zero_results_csv"),
    path("board/", board_views.reader_board, name="board"),
    path("board/screen/<str:token>/", board_views.screen_board, name="board_screen"),
    path("social/", views.social_trends, name="social_trends"),
    path("social/weeks.csv", views.social_trends_csv, name="social_trends_csv"),
    path("operations/", operations_views.operations, name="operations"),
    path("operations/operations.csv", operations_views.operations_csv, name="operations_csv"),
    path("forecast/", forecast_views.forecast, name="forecast"),
    path("forecast/forecast.csv", forecast_views.forecast_csv, name="forecast_csv"),
    path("forecast/adjust/", forecast_views.adjust, name="forecast_adjust"),
    path("forecast/adjust/<int:adjustment_id>/withdraw/", forecast_views.withdraw, name="forecast_withdraw"),
    path("forecast/target/", forecast_views.set_target, name="forecast_target"),
    path("leadership/", leadership_views.index, name="leadership"),
    path("leadership/<str:kind>/<str:slug>/", leadership_views.report, name="leadership_report"),
    path("leadership/<str:kind>/<str:slug>/report.pdf", leadership_views.report_pdf, name="leadership_pdf"),
    path("leadership/<str:kind>/<str:slug>/report.csv", leadership_views.report_csv, name="leadership_csv"),
]
