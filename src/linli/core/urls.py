from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("areas/", views.area_tree, name="area_tree"),
    path("audit/", views.audit_list, name="audit_list"),
    path("area/switch/", views.area_switch, name="area_switch"),
]
