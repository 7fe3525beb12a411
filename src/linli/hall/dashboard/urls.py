"""URL patterns of the hall dashboard (collected in hall/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [path("dashboard/", views.dashboard, name="dashboard")]
