"""URL patterns of the service hall's outreach pages (collected in services/urls.py)."""

from django.urls import path

from . import views_outreach

urlpatterns: list = [
    path("outreach/", views_outreach.task_list, name="outreach_list"),
    path("outreach/<int:pk>/", views_outreach.task_detail, name="outreach_detail"),
    path("outreach/<int:pk>/outcome/", views_outreach.task_outcome, name="outreach_outcome"),
    path("outreach/<int:pk>/reopen/", views_outreach.task_reopen, name="outreach_reopen"),
    path(
        "outreach/items/<int:pk>/eligibility/",
        views_outreach.item_eligibility,
        name="outreach_eligibility",
    ),
]
