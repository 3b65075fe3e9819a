from django.urls import URLPattern, URLResolver, path

from . import address_views, inbox_urls, journey_views, post_import_urls, views

app_name = "console"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("contact/<int:pk>/", views.contact_page, name="contact"),
    path("contact/<int:pk>/callers/", views.callers, name="callers"),
    path("contact/<int:pk>/answers/", views.answers, name="answers"),
    path("contact/<int:pk>/duplicates/", views.duplicates, name="duplicates"),
    path("contact/<int:pk>/customer/", views.choose_customer, name="choose_customer"),
    path("contact/<int:pk>/customer/new/", views.new_customer, name="new_customer"),
    path("contact/<int:pk>/report/", views.file_request, name="file_request"),
    path("contact/<int:pk>/address-suggestions/", address_views.address_suggestions, name="address_suggestions"),
    path("contact/<int:pk>/address-at/", address_views.address_at, name="address_at"),
    path("contact/<int:pk>/attach/", views.attach, name="attach"),
    path("contact/<int:pk>/answer/", views.answer, name="answer"),
    path("contact/<int:pk>/finish/", views.finish, name="finish"),
    path("contact/<int:pk>/hung-up/", views.hung_up, name="hung_up"),
    path("customers/<int:pk>/journey/", journey_views.customer_journey, name="customer_journey"),
    path("journeys/", journey_views.centre_journeys, name="journeys"),
    path("journeys.csv", journey_views.centre_journeys_csv, name="journeys_csv"),
    *inbox_urls.urlpatterns,
    *post_import_urls.urlpatterns,
]
