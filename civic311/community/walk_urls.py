"""The Youth Engagement Program's field walks (Part B of issue 17): the participants' public walk page (by the
walk's link only), staff's open and close of a session's walk, the cohort's walk requests and their map."""

from django.urls import URLPattern, path

from . import walk_views

urlpatterns: list[URLPattern] = [
    # Public: before `youth/<slug>/...`, so that no cohort's pages take a walk's link.
    path("youth/walk/<str:token>/", walk_views.walk, name="youth_walk"),
    path("youth/walk/<str:token>/done/", walk_views.walk_done, name="youth_walk_done"),
    # Staff.
    path("youth/<slug:slug>/sessions/<int:number>/walk/open/", walk_views.walk_open, name="youth_walk_open"),
    path("youth/<slug:slug>/sessions/<int:number>/walk/close/", walk_views.walk_close, name="youth_walk_close"),
    path("youth/<slug:slug>/requests/", walk_views.cohort_requests, name="youth_cohort_requests"),
    path("youth/<slug:slug>/requests/map.json", walk_views.cohort_requests_map, name="youth_cohort_requests_map"),
]
