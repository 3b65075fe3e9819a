"""The program's pages under /community/, one module per part: the Neighborhood Liaison Program's
recruitment and training (`recruitment_urls`) and engagement and figures (`engagement_urls`); the Youth
Engagement Program's cohorts (`youth_urls`), field walks (`walk_urls`), surveys and forms
(`youth_survey_urls`), impact reports and certificates (`youth_impact_urls`); pilot assessments
(`pilot_urls`)."""

from . import (
    engagement_urls,
    pilot_urls,
    recruitment_urls,
    walk_urls,
    youth_impact_urls,
    youth_survey_urls,
    youth_urls,
)

app_name = "community"

urlpatterns = [
    *recruitment_urls.urlpatterns,
    *engagement_urls.urlpatterns,
    *youth_urls.urlpatterns,
    *walk_urls.urlpatterns,
    *youth_survey_urls.urlpatterns,
    *youth_impact_urls.urlpatterns,
    *pilot_urls.urlpatterns,
]
