"""Staff pages under /privacy/: a customer's personal data exported or erased (docs/privacy.md)."""

from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("customers/<int:customer_id>/export/", views.export_customer_view, name="export_customer"),
    path("customers/<int:customer_id>/erase/", views.erase_customer_view, name="erase_customer"),
]
