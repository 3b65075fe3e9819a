from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve

from civic311.people import views as people_views

# A database outage is a 503 with Retry-After in the caller's format, never a 500 (civic311.outage).
handler500 = "civic311.outage.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    # The admin's login is the two-step sign-in (password, then a code for staff with an authenticator).
    path("admin/login/", people_views.AdminSignInView.as_view(), name="admin_sign_in"),
    path("admin/login/code/", people_views.admin_sign_in_code, name="admin_sign_in_code"),
    path("admin/", admin.site.urls),
    path("_nested_admin/", include("nested_admin.urls")),  # its admin script asks for a little data here
    path("account/", include("civic311.people.urls")),
    path("open311/", include("civic311.open311.urls")),
    path("api/", include("civic311.staff_api.urls")),
    path("console/", include("civic311.console.urls")),
    path("inbox/", include("civic311.inbox.urls")),
    path("work/", include("civic311.work.urls")),
    path("help/", include("civic311.public.help_urls")),
    path("insights/", include("civic311.insights.urls")),
    path("emergencies/", include("civic311.emergencies.urls")),
    path("surveys/", include("civic311.surveys.urls")),
    path("community/", include("civic311.community.urls")),
    path("neighborhoods/", include("civic311.community.neighborhood_urls")),
    path("liaison/", include("civic311.community.liaison_urls")),
    path("notifications/", include("civic311.notifications.urls")),
    path("open-data/", include("civic311.opendata.urls")),
    path("privacy/", include("civic311.privacy.urls")),
    path("transparency/", include("civic311.insights.transparency_urls")),
    path("translations/", include("civic311.public.translation_urls")),
    path("", include("civic311.public.urls")),
]

if settings.DEBUG:
    # In production the web server or object storage serves uploaded photos.
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
