"""The Youth Engagement Program's impact reports and certificates (Part D of issue 17): the report's page,
PDF and CSV; the certificates' staff page and PDFs; the public page that checks a certificate's code."""

from django.urls import URLPattern, path

from . import youth_impact_views as views

urlpatterns: list[URLPattern] = [
    # Public. youth_urls (included first) never reads "certificates" as a cohort (its reserved slugs).
    path("youth/certificates/", views.certificate_lookup, name="youth_certificate_lookup"),
    path("youth/certificates/<str:code>/", views.certificate_check, name="youth_certificate_check"),
    path("youth/<slug:slug>/impact/", views.impact, name="youth_impact"),
    path("youth/<slug:slug>/impact.pdf", views.impact_pdf, name="youth_impact_pdf"),
    path("youth/<slug:slug>/impact.csv", views.impact_csv, name="youth_impact_csv"),
    path("youth/<slug:slug>/certificates/", views.certificates, name="youth_certificates"),
    path("youth/<slug:slug>/certificates.pdf", views.certificates_pdf, name="youth_certificates_pdf"),
    path("youth/<slug:slug>/certificates/<int:pk>.pdf", views.certificate_pdf, name="youth_certificate_pdf"),
]
