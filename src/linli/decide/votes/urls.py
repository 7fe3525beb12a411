"""Pages of votes 表决, under /decide/votes/."""

from django.urls import path

from . import views

app_name = "votes"

urlpatterns = [
    path("", views.vote_list, name="list"),
    path("mine/", views.my_votes, name="mine"),
    path("new/<int:pk>/", views.vote_prepare, name="prepare"),
    path("<int:pk>/", views.vote_detail, name="detail"),
    path("<int:pk>/edit/", views.vote_edit, name="edit"),
    path("<int:pk>/open/", views.vote_open, name="open"),
    path("<int:pk>/close/", views.vote_close, name="close"),
    path("<int:pk>/hands/", views.vote_hands, name="hands"),
    path("<int:pk>/cast/", views.vote_cast, name="cast"),
]
