"""The service hall's pages, under /services/."""

from . import urls_applications, urls_catalogue, urls_dashboard, urls_outreach

app_name = "services"

urlpatterns = [
    *urls_catalogue.urlpatterns,
    *urls_applications.urlpatterns,
    *urls_outreach.urlpatterns,
    *urls_dashboard.urlpatterns,
]
