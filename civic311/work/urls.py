from django.urls import URLPattern, path

from . import views

app_name = "work"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
]
