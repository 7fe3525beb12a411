"""The residents-decide dashboard's pages, under /decide/dashboard/."""

from django.urls import path

from . import views

app_name = "decide_dashboard"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/", views.dashboard_export, name="export"),
]
