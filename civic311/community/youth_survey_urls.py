"""/community/forms/: the editor of the community programs' survey instruments (versioned; a draft is
edited, then published and frozen); /community/youth/<slug>/survey/: a cohort's before and after surveys
(open, close, staff typing a paper form); /community/youth/survey/<token>/: the public page a participant
answers on (a shared tablet or their phones)."""

from django.urls import path

from . import survey_form_views, youth_survey_views

urlpatterns = [
    # The editor of the community programs' instruments.
    path("forms/", survey_form_views.form_list, name="survey_forms"),
    path("forms/<int:pk>/", survey_form_views.form_detail, name="survey_form"),
    path("forms/<int:pk>/draft/", survey_form_views.open_draft, name="survey_form_draft"),
    path("forms/<int:pk>/publish/", survey_form_views.publish, name="survey_form_publish"),
    path("forms/<int:pk>/questions/new/", survey_form_views.question_new, name="survey_form_question_new"),
    path("forms/<int:pk>/questions/<int:question>/", survey_form_views.question_edit, name="survey_form_question"),
    path(
        "forms/<int:pk>/questions/<int:question>/remove/",
        survey_form_views.question_remove,
        name="survey_form_question_remove",
    ),
    path(
        "forms/<int:pk>/questions/<int:question>/move/",
        survey_form_views.question_move,
        name="survey_form_question_move",
    ),
    path("forms/<int:pk>/dimensions/new/", survey_form_views.dimension_new, name="survey_form_dimension_new"),
    path(
        "forms/<int:pk>/dimensions/<slug:code>/remove/",
        survey_form_views.dimension_remove,
        name="survey_form_dimension_remove",
    ),
    path("forms/<int:pk>/versions/<int:number>/", survey_form_views.version_detail, name="survey_form_version"),
    # A cohort's before and after surveys (staff).
    path("youth/<slug:slug>/survey/", youth_survey_views.cohort_survey, name="youth_survey"),
    path("youth/<slug:slug>/survey/attach/", youth_survey_views.attach, name="youth_survey_attach"),
    path("youth/<slug:slug>/survey/<str:phase>/open/", youth_survey_views.open_phase, name="youth_survey_open"),
    path("youth/<slug:slug>/survey/<str:phase>/close/", youth_survey_views.close_phase, name="youth_survey_close"),
    path(
        "youth/<slug:slug>/survey/<str:phase>/paper/<int:participant>/",
        youth_survey_views.enter_paper,
        name="youth_survey_enter",
    ),
    # The public page: pick your name, answer, thank you, back to the names.
    path("youth/survey/<str:token>/", youth_survey_views.take, name="youth_survey_take"),
    path(
        "youth/survey/<str:token>/<int:participant>/",
        youth_survey_views.take_participant,
        name="youth_survey_take_participant",
    ),
]
