"""The service hall's pages, under /services/."""

from .applications import urls as urls_applications
from .catalogue import urls as urls_catalogue
from .dashboard import urls as urls_dashboard
from .outreach import urls as urls_outreach

app_name = "services"

urlpatterns = [
    *urls_catalogue.urlpatterns,
    *urls_applications.urlpatterns,
    *urls_outreach.urlpatterns,
    *urls_dashboard.urlpatterns,
]
