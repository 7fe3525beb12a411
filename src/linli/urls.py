from django.urls import include, path

from .api import api

urlpatterns = [
    path("", include("linli.core.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("registry/", include("linli.registry.urls")),
    path("services/", include("linli.hall.urls")),
    path("visits/", include("linli.visits.urls")),
    path("appeals/", include("linli.appeals.urls")),
    path("appeals/", include("linli.appeals.disputes.urls")),
    path("decide/dashboard/", include("linli.decide.dashboard.urls")),
    path("decide/", include("linli.decide.urls")),
    path("decide/votes/", include("linli.decide.votes.urls")),
    path("decide/tasks/", include("linli.decide.manage.urls")),
    path("board/", include("linli.decide.board.urls")),
    path("api/", api.urls),
    path("open311/v2/", include("linli.appeals.open311.urls")),
    path("open311/keys/", include("linli.appeals.open311.admin_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

# A real error gets the styled Chinese page; a database that does not answer gets 503.
handler500 = "linli.core.views_errors.server_error"
