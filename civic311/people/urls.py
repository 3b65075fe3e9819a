"""Staff account pages under /account/: the authenticator app (second factor)."""

from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("second-factor/", views.manage, name="second_factor"),
    path("second-factor/start/", views.start, name="second_factor_start"),
    path("second-factor/confirm/", views.confirm, name="second_factor_confirm"),
    path("second-factor/remove/", views.remove, name="second_factor_remove"),
    path("second-factor/reset/", views.reset, name="second_factor_reset"),
]
