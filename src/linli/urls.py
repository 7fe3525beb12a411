from django.urls import include, path

from .api import api

urlpatterns = [
    path("", include("linli.core.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("registry/", include("linli.registry.urls")),
    path("services/", include("linli.hall.urls")),
    path("visits/", include("linli.visits.urls")),
    path("appeals/", include("linli.appeals.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# A real error gets the styled Chinese page; a database that does not answer gets 503.
handler500 = "linli.core.views_errors.server_error"
