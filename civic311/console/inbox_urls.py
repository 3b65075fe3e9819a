"""The inbox of e-mails, texts and posts, in the console: the list, its live updates, an item and its actions."""

from django.urls import URLPattern, path

from . import inbox_views

urlpatterns: list[URLPattern] = [
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/live/", inbox_views.inbox_live, name="inbox_live"),
    path("inbox/<int:pk>/", inbox_views.inbox_item, name="inbox_item"),
    path("inbox/<int:pk>/take/", inbox_views.take, name="inbox_take"),
    path("inbox/<int:pk>/assign/", inbox_views.assign, name="inbox_assign"),
    path("inbox/<int:pk>/status/", inbox_views.set_status, name="inbox_status"),
    path("inbox/<int:pk>/reply/", inbox_views.reply, name="inbox_reply"),
    path("inbox/<int:pk>/dismiss/", inbox_views.dismiss, name="inbox_dismiss"),
]
