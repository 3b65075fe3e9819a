from django.urls import path

from . import fixed_views, report_views, views

app_name = "surveys"

urlpatterns = [
    path("", views.home, name="home"),
    path("calls/<int:pk>/claim/", views.claim, name="claim"),
    path("call/<int:pk>/", views.call, name="call"),
    path("call/<int:pk>/answers/", views.record, name="record"),
    path("call/<int:pk>/outcome/", views.no_survey, name="no_survey"),
    path("call/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("call/<int:pk>/release/", views.release, name="release"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("fixed/<str:token>/", fixed_views.fixed, name="fixed"),
    path("reports/", report_views.index, name="reports"),
    path("reports/<str:kind>/<str:slug>/", report_views.report, name="report"),
    path("reports/<str:kind>/<str:slug>/report.pdf", report_views.report_pdf, name="report_pdf"),
    path("reports/<str:kind>/<str:slug>/report.csv", report_views.report_csv, name="report_csv"),
    path("results/", report_views.my_results, name="my_results"),
    path("results/<int:agent_id>/", report_views.agent_results, name="agent_results"),
]
