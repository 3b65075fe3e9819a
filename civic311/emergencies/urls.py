from django.urls import URLPattern, path

from . import views

app_name = "emergencies"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("declare/", views.declare, name="declare"),
    path("<int:pk>/end/", views.end, name="end"),
]
