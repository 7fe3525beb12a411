from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("households/", views.household_list, name="household_list"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("residents/", views.resident_list, name="resident_list"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("tags/", views.tag_list, name="tag_list"),
]
