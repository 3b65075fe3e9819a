from django.urls import path

from . import views

app_name = "opendata"
urlpatterns = [
    path("", views.dataset, name="dataset"),
    path("service-requests.csv", views.service_requests_csv, name="service_requests_csv"),
    path("service-requests.geojson", views.service_requests_geojson, name="service_requests_geojson"),
]
