from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("areas/", views.area_tree, name="area_tree"),
    path("areas/<int:pk>/children/", views.area_children, name="area_children"),
    path("areas/<int:pk>/edit/", views.area_edit, name="area_edit"),
    path("areas/<int:pk>/add/", views.area_add, name="area_add"),
    path("areas/<int:pk>/move/", views.area_move, name="area_move"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("area/switch/", views.area_switch, name="area_switch"),
]
