"""/community/: the public application form, application review and training (staff)."""

from django.urls import path

from . import recruitment_views

urlpatterns = [
    path("", recruitment_views.staff_home, name="staff_home"),
    path("apply/", recruitment_views.apply, name="apply"),
]
