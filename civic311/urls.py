from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("open311/", include("civic311.open311.urls")),
    path("api/", include("civic311.staff_api.urls")),
    path("", include("civic311.public.urls")),
]

if settings.DEBUG:
    # In production the web server or object storage serves uploaded photos.
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
