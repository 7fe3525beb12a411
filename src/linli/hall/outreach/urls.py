"""URL patterns of the service hall's outreach pages (collected in hall/urls.py)."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("outreach/", views.task_list, name="outreach_list"),
    path("outreach/<int:pk>/", views.task_detail, name="outreach_detail"),
    path("outreach/<int:pk>/outcome/", views.task_outcome, name="outreach_outcome"),
    path("outreach/<int:pk>/reopen/", views.task_reopen, name="outreach_reopen"),
    path(
        "outreach/items/<int:pk>/eligibility/",
        views.item_eligibility,
        name="outreach_eligibility",
    ),
]
