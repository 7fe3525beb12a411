"""URL patterns of the appeals dashboard (collected in appeals/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export/", views.dashboard_export, name="dashboard_export"),
]
