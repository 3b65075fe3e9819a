"""The staff API under /api/: version 1 at /api/v1/, the OpenAPI schema at /api/schema/, Swagger UI at
/api/docs/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularJSONAPIView
from rest_framework.routers import SimpleRouter

from . import views
from .contacts import ContactViewSet
from .customers import CustomerViewSet
from .inbox import InboxItemViewSet
from .knowledge import KnowledgeViewSet
from .subscriptions import SubscriptionViewSet
from .texts import TextsViewSet

app_name = "staff_api"

router = SimpleRouter()
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("services", views.ServiceViewSet, basename="service")
router.register("requests", views.ServiceRequestViewSet, basename="request")
router.register("knowledge", KnowledgeViewSet, basename="knowledge")
router.register(r"requests/(?P<tracking_number>[^/]+)/subscriptions", SubscriptionViewSet, basename="subscription")
router.register("contacts", ContactViewSet, basename="contact")
router.register("customers", CustomerViewSet, basename="customer")
router.register("inbox", InboxItemViewSet, basename="inbox-item")
router.register("texts", TextsViewSet, basename="texts")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("schema.json", SpectacularJSONAPIView.as_view(), name="schema-json"),
    path("docs/", views.SwaggerView.as_view(), name="docs"),
]
