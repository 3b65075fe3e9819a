"""/community/youth/: the Youth Engagement Program's cohorts, sessions, participants, partners and settings
(community staff). Cohort short names never take the names of the pages below or of the other parts'
pages under youth/ (`services.youth.RESERVED_SLUGS`)."""

from django.urls import path, register_converter

from . import youth_views
from .services.youth import RESERVED_SLUGS


class CohortSlugConverter:
    """A cohort's short name: a slug that is none of the reserved words, so that these patterns (included
    first) never take `youth/walk/…`, `youth/survey/…`, `youth/certificates/…` and the like from the pages
    after them."""

    regex = rf"(?!(?:{'|'.join(sorted(RESERVED_SLUGS))})(?![-a-zA-Z0-9_]))[-a-zA-Z0-9_]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CohortSlugConverter, "cohortslug")

urlpatterns = [
    path("youth/", youth_views.cohort_list, name="youth_cohorts"),
    path("youth/new/", youth_views.cohort_new, name="youth_cohort_new"),
    path("youth/settings/", youth_views.settings_page, name="youth_settings"),
    path("youth/partners/", youth_views.partner_list, name="youth_partners"),
    path("youth/partners/new/", youth_views.partner_new, name="youth_partner_new"),
    path("youth/partners/<int:pk>/", youth_views.partner_detail, name="youth_partner"),
    path("youth/<cohortslug:slug>/", youth_views.cohort_detail, name="youth_cohort"),
    path("youth/<cohortslug:slug>/change/", youth_views.cohort_edit, name="youth_cohort_edit"),
    path("youth/<cohortslug:slug>/sessions/new/", youth_views.session_new, name="youth_session_new"),
    path("youth/<cohortslug:slug>/sessions/<int:number>/", youth_views.session_detail, name="youth_session"),
    path("youth/<cohortslug:slug>/sessions/<int:number>/change/", youth_views.session_edit, name="youth_session_edit"),
    path("youth/<cohortslug:slug>/sessions/<int:number>/attendance/", youth_views.attendance, name="youth_attendance"),
    path("youth/<cohortslug:slug>/participants/new/", youth_views.participant_new, name="youth_participant_new"),
    path("youth/<cohortslug:slug>/participants/<int:pk>/", youth_views.participant_detail, name="youth_participant"),
]
