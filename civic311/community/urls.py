"""The program's pages under /community/: the public application form and the community staff's pages.
Two parts, each in its own module: recruitment and training (`recruitment_urls`), engagement and the
program's figures (`engagement_urls`)."""

from . import engagement_urls, recruitment_urls

app_name = "community"

urlpatterns = [*recruitment_urls.urlpatterns, *engagement_urls.urlpatterns]
