"""/community/pilots/: pilot assessments of a new technology (community staff), and the public page a
participant answers through their link. `new` and `answer` come before the pilot's own addresses (the
service refuses them as short names)."""

from django.urls import path

from . import pilot_views

urlpatterns = [
    path("pilots/", pilot_views.pilot_list, name="pilots"),
    path("pilots/new/", pilot_views.pilot_new, name="pilot_new"),
    path("pilots/answer/<str:token>/", pilot_views.answer, name="pilot_answer"),
    path("pilots/<slug:slug>/", pilot_views.pilot_detail, name="pilot"),
    path("pilots/<slug:slug>/edit/", pilot_views.pilot_edit, name="pilot_edit"),
    path("pilots/<slug:slug>/participants/", pilot_views.pilot_participants, name="pilot_participants"),
    path("pilots/<slug:slug>/send/<str:phase>/", pilot_views.pilot_send, name="pilot_send"),
    path("pilots/<slug:slug>/focus-groups/new/", pilot_views.focus_group_new, name="pilot_focus_group_new"),
    path("pilots/<slug:slug>/focus-groups/<int:pk>/", pilot_views.focus_group_edit, name="pilot_focus_group"),
    path("pilots/<slug:slug>/report/", pilot_views.report, name="pilot_report"),
    path("pilots/<slug:slug>/report.pdf", pilot_views.report_pdf, name="pilot_report_pdf"),
    path("pilots/<slug:slug>/report.csv", pilot_views.report_csv, name="pilot_report_csv"),
]
