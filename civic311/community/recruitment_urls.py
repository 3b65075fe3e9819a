"""/community/: the public application form, application review and training (staff), certificates."""

from django.urls import path

from . import recruitment_views

urlpatterns = [
    path("", recruitment_views.staff_home, name="staff_home"),
    path("apply/", recruitment_views.apply, name="apply"),
    path("apply/thank-you/", recruitment_views.apply_done, name="apply_done"),
    path("applications/", recruitment_views.application_list, name="applications"),
    path("applications/<int:pk>/", recruitment_views.application_detail, name="application"),
    path("trainings/", recruitment_views.training_list, name="trainings"),
    path("trainings/new/", recruitment_views.training_new, name="training_new"),
    path("trainings/<int:pk>/", recruitment_views.training_detail, name="training"),
    path("trainings/<int:pk>/change/", recruitment_views.training_edit, name="training_edit"),
    path("certificates/<int:pk>/", recruitment_views.certificate, name="certificate"),
]
