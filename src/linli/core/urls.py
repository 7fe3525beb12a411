from django.urls import path

from . import views, views_calendar, views_health

app_name = "core"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("areas/", views.area_tree, name="area_tree"),
    path("areas/<int:pk>/children/", views.area_children, name="area_children"),
    path("areas/<int:pk>/edit/", views.area_edit, name="area_edit"),
    path("areas/<int:pk>/add/", views.area_add, name="area_add"),
    path("areas/<int:pk>/move/", views.area_move, name="area_move"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("area/switch/", views.area_switch, name="area_switch"),
    path("care-mode/", views.care_mode, name="care_mode"),
    # Liveness and readiness, for the reverse proxy, systemd and monitoring (no login).
    path("healthz", views_health.liveness, name="healthz"),
    path("readyz", views_health.readiness, name="readyz"),
    # The working-day calendar (administrators).
    path("calendar/", views_calendar.calendar_years, name="calendar_years"),
    path("calendar/<int:year>/", views_calendar.calendar_year, name="calendar_year"),
    path("calendar/<int:year>/days/", views_calendar.calendar_day_add, name="calendar_day_add"),
    path(
        "calendar/<int:year>/publish/",
        views_calendar.calendar_year_publish,
        name="calendar_year_publish",
    ),
    path(
        "calendar/<int:year>/withdraw/",
        views_calendar.calendar_year_withdraw,
        name="calendar_year_withdraw",
    ),
    path(
        "calendar/days/<int:pk>/edit/", views_calendar.calendar_day_edit, name="calendar_day_edit"
    ),
    path(
        "calendar/days/<int:pk>/delete/",
        views_calendar.calendar_day_delete,
        name="calendar_day_delete",
    ),
]
