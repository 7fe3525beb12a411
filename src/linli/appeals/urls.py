"""The appeals module's pages, under /appeals/."""

from .dashboard import urls as urls_dashboard

app_name = "appeals"

urlpatterns = [
    *urls_dashboard.urlpatterns,
]
