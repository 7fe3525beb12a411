"""Pages of manage 民主管理 and supervise 民主监督, under /decide/tasks/."""

from django.urls import path

from . import views

app_name = "matter_tasks"

urlpatterns = [
    path("", views.task_list, name="list"),
    path("<int:pk>/", views.task_detail, name="detail"),
    path("<int:pk>/report/", views.task_report, name="report"),
    path("photos/<int:pk>/", views.task_photo, name="photo"),
    path("matters/<int:pk>/", views.matter_page, name="matter"),
    path("matters/<int:pk>/assign/", views.task_assign, name="assign"),
    path("matters/<int:pk>/supervise/", views.supervision_start, name="supervise"),
    path("matters/<int:pk>/inspect/", views.inspection_record, name="inspect"),
    path("matters/<int:pk>/close/", views.ratings_close, name="close"),
]
