from django.urls import path

from . import fixed_views, views

app_name = "surveys"

urlpatterns = [
    path("", views.home, name="home"),
    path("calls/<int:pk>/claim/", views.claim, name="claim"),
    path("call/<int:pk>/", views.call, name="call"),
    path("call/<int:pk>/answers/", views.record, name="record"),
    path("call/<int:pk>/outcome/", views.no_survey, name="no_survey"),
    path("call/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("call/<int:pk>/release/", views.release, name="release"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("fixed/<str:token>/", fixed_views.fixed, name="fixed"),
]
