from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("follow/<str:tracking_number>/", views.subscribe, name="subscribe"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
