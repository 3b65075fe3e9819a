from django.urls import path

from . import app_views, geocoding_views, sign_in_views, views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.choose_service, name="choose_service"),
    # Before the service form, so that "done" is never taken for a service code.
    path("report/done/<str:tracking_number>/", views.confirmation, name="confirmation"),
    path("report/<str:service_code>/", views.report, name="report"),
    path("report/<str:service_code>/possible-duplicates/", views.possible_duplicates, name="possible_duplicates"),
    path("track/", views.track, name="track"),
    path("track/<str:tracking_number>/", views.track_request, name="track_request"),
    path("track/<str:tracking_number>/follow-up/", views.resident_followup, name="resident_followup"),
    path("map/neighborhoods.geojson", views.neighborhoods_geojson, name="neighborhoods"),
    path("language/", views.choose_language, name="choose_language"),
    path("sign-in/", sign_in_views.sign_in, name="sign_in"),
    path("sign-in/<str:token>/", sign_in_views.sign_in_link, name="sign_in_link"),
    path("sign-out/", sign_in_views.sign_out, name="sign_out"),
    path("my-requests/", sign_in_views.my_requests, name="my_requests"),
    path("report/<str:service_code>/start/", views.start_report, name="start_report"),
    path("manifest.webmanifest", app_views.manifest, name="manifest"),
    path("service-worker.js", app_views.service_worker, name="service_worker"),
    path("offline/", app_views.offline, name="offline"),
    path("address-suggestions/", geocoding_views.address_suggestions, name="address_suggestions"),
    path("address-at/", geocoding_views.address_at, name="address_at"),
]
