from django.urls import URLPattern

app_name = "emergencies"

urlpatterns: list[URLPattern] = []
