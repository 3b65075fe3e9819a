from django.urls import URLPattern, path

from . import views

app_name = "work"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("live/", views.queue_live, name="live"),
    path("bulk/", views.bulk, name="bulk"),
    path("views/save/", views.save_view, name="save_view"),
    path("views/<int:pk>/delete/", views.delete_view, name="delete_view"),
    path("request/<str:number>/", views.request_detail, name="request"),
    path("request/<str:number>/live/", views.request_live, name="request_live"),
    path("request/<str:number>/assign/", views.assign, name="assign"),
    path("request/<str:number>/status/", views.change_status, name="change_status"),
    path("request/<str:number>/note/", views.add_note, name="add_note"),
    path("request/<str:number>/transfer/", views.transfer, name="transfer"),
    path("request/<str:number>/follow-on/", views.follow_on, name="follow_on"),
    path("request/<str:number>/follow-on/questions/", views.follow_on_questions, name="follow_on_questions"),
    path("request/<str:number>/merge/", views.merge, name="merge"),
    path("request/<str:number>/photo/", views.add_photo, name="add_photo"),
]
