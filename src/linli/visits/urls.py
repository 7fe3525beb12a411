"""The five links and visits pages, under /visits/."""

from django.urls import path

from . import views_coverage, views_links, views_visits

app_name = "visits"

urlpatterns = [
    path("", views_visits.my_households, name="my_households"),
    path("households/<int:pk>/visit/", views_visits.visit_create, name="visit_create"),
    path("<int:pk>/", views_visits.visit_detail, name="visit_detail"),
    path("<int:pk>/photo/", views_visits.visit_photo, name="visit_photo"),
    path("records/", views_visits.visit_list, name="visit_list"),
    path("needs/", views_visits.need_list, name="need_list"),
    path("needs/<int:pk>/application/", views_visits.need_application, name="need_application"),
    path("needs/<int:pk>/appeal/", views_visits.need_appeal, name="need_appeal"),
    path("needs/<int:pk>/close/", views_visits.need_close, name="need_close"),
    path("overdue/", views_visits.overdue, name="overdue"),
    path("links/", views_links.assignment_list, name="assignment_list"),
    path("links/new/", views_links.assignment_create, name="assignment_create"),
    path("links/bulk/", views_links.assignment_bulk, name="assignment_bulk"),
    path("links/<int:pk>/end/", views_links.assignment_end, name="assignment_end"),
    path("links/gaps/", views_links.gap_list, name="gap_list"),
    path("policies/", views_links.policy_list, name="policy_list"),
    path("policies/new/", views_links.policy_create, name="policy_create"),
    path("policies/<int:pk>/edit/", views_links.policy_edit, name="policy_edit"),
    path("coverage/", views_coverage.coverage, name="coverage"),
    path("coverage/export/", views_coverage.coverage_export, name="coverage_export"),
    path("coverage/not-reached/", views_coverage.not_reached, name="not_reached"),
    path(
        "coverage/not-reached/export/",
        views_coverage.not_reached_export,
        name="not_reached_export",
    ),
]
