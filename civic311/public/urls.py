from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.choose_service, name="choose_service"),
    # Before the service form, so that "done" is never taken for a service code.
    path("report/done/<str:tracking_number>/", views.confirmation, name="confirmation"),
    path("report/<str:service_code>/", views.report, name="report"),
    path("track/", views.track, name="track"),
    path("track/<str:tracking_number>/", views.track_request, name="track_request"),
    path("track/<str:tracking_number>/follow-up/", views.resident_followup, name="resident_followup"),
    path("map/neighborhoods.geojson", views.neighborhoods_geojson, name="neighborhoods"),
]
