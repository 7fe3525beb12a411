"""The appeals pages 诉求, under /appeals/."""

from django.urls import path

from . import views
from .dashboard import urls as urls_dashboard

app_name = "appeals"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("all/", views.appeal_list, name="list"),
    path("new/", views.appeal_create, name="create"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/photos/<int:photo>/", views.appeal_photo, name="photo"),
    path("<int:pk>/take/", views.appeal_take, name="take"),
    path("<int:pk>/settle/", views.appeal_settle, name="settle"),
    path("<int:pk>/hand-up/", views.appeal_hand_up, name="hand_up"),
    path("<int:pk>/department/", views.appeal_send, name="send_to_department"),
    path("<int:pk>/return-visit/", views.appeal_return_visit, name="return_visit"),
    path("mine/", views.my_appeals, name="mine"),
    path("mine/new/", views.appeal_raise, name="raise"),
    path("categories/", views.category_list, name="categories"),
    path("categories/new/", views.category_create, name="category_create"),
    path("categories/<int:pk>/edit/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/offer/", views.category_offer, name="category_offer"),
    *urls_dashboard.urlpatterns,
]
