"""The residents-decide pages 由民做主, under /decide/: proposing and deliberating (the other
parts have their own: decide/votes/, decide/tasks/, board/)."""

from django.urls import path

from . import views

app_name = "decide"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("all/", views.matter_list, name="list"),
    path("new/", views.matter_propose, name="propose"),
    path("from-appeal/<int:pk>/", views.matter_from_appeal, name="from_appeal"),
    path("<int:pk>/", views.matter_detail, name="detail"),
    path("<int:pk>/support/", views.matter_support, name="support"),
    path("<int:pk>/take-up/", views.matter_take_up, name="take_up"),
    path("<int:pk>/drop/", views.matter_drop, name="drop"),
    path("<int:pk>/merge/", views.matter_merge, name="merge"),
    path("<int:pk>/opinions/new/", views.opinion_add, name="opinion_add"),
    path("<int:pk>/options/new/", views.option_add, name="option_add"),
    path("<int:pk>/meetings/new/", views.meeting_arrange, name="meeting_arrange"),
    path("<int:pk>/meetings/<int:meeting>/roll/", views.meeting_roll, name="meeting_roll"),
    path("<int:pk>/meetings/<int:meeting>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("community/", views.community_matters, name="community"),
    path("community/new/", views.matter_raise, name="raise"),
    path("categories/", views.category_list, name="categories"),
    path("categories/new/", views.category_create, name="category_create"),
    path("categories/<int:pk>/edit/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/offer/", views.category_offer, name="category_offer"),
]
