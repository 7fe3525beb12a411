"""URL patterns of the hall dashboard (collected in services/urls.py)."""

from django.urls import path

from . import views_dashboard

urlpatterns = [path("dashboard/", views_dashboard.dashboard, name="dashboard")]
