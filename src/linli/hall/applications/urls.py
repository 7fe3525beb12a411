"""URL patterns of the service hall's applications pages (collected in hall/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("counter/", views.counter, name="counter"),
    path("applications/", views.application_list, name="application_list"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/submit/", views.application_submit, name="application_submit"),
    path(
        "applications/<int:pk>/resubmit/",
        views.application_resubmit,
        name="application_resubmit",
    ),
    path(
        "applications/<int:pk>/withdraw/",
        views.application_withdraw,
        name="application_withdraw",
    ),
    path("applications/<int:pk>/reject/", views.application_reject, name="application_reject"),
    path(
        "applications/<int:pk>/complete/",
        views.application_complete,
        name="application_complete",
    ),
    path(
        "applications/<int:pk>/guidance/",
        views.application_guidance,
        name="application_guidance",
    ),
    path("applications/<int:pk>/trips/", views.trip_record, name="trip_record"),
    path("applications/<int:pk>/rate/", views.application_rate, name="application_rate"),
    path(
        "applications/<int:pk>/hand-in/",
        views.application_hand_in,
        name="application_hand_in",
    ),
    path(
        "applications/<int:pk>/photos/<int:photo>/",
        views.material_photo,
        name="material_photo",
    ),
    path("steps/", views.step_queue, name="step_queue"),
    path("steps/<int:pk>/", views.step_finish, name="step_finish"),
    path("due/", views.due_list, name="due_list"),
    path("mine/", views.my_applications, name="my_applications"),
    path("apply/", views.apply_online, name="apply_online"),
]
