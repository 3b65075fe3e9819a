"""/liaison/: a signed-in liaison's pages. Two parts: following their neighborhoods (`liaison_views`) and
filing for neighbors and meetings (`filing_views`)."""

from django.urls import path

from . import filing_views, liaison_training_views, liaison_views

app_name = "liaison"

urlpatterns = [
    path("", liaison_views.dashboard, name="dashboard"),
    path("digest/", liaison_views.digest_setting, name="digest_setting"),
    path("public-name/", liaison_views.public_name_setting, name="public_name_setting"),
    path("report/", filing_views.report, name="report"),
    path("meeting/", filing_views.meeting, name="meeting"),
    path("filed/", filing_views.filed, name="filed"),
    path("trainings/", liaison_training_views.trainings, name="trainings"),
]
