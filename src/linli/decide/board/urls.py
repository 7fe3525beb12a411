"""The public board 公开栏 and the commitment board 党员公开承诺榜, under /board/."""

from django.urls import path

from . import views

app_name = "board"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.community, name="community"),
    path("<int:pk>/setting/", views.board_setting, name="setting"),
    path("<int:pk>/commitments/new/", views.commitment_new, name="commitment_new"),
    path("matters/<int:pk>/", views.matter, name="matter"),
    path("matters/<int:pk>/notice/", views.notice, name="notice"),
    path("matters/<int:pk>/rate/", views.rate, name="rate"),
    path("commitments/<int:pk>/record/", views.commitment_record, name="commitment_record"),
    path("commitments/<int:pk>/rate/", views.commitment_rate, name="commitment_rate"),
]
