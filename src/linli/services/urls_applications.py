"""URL patterns of the service hall's applications pages (collected in services/urls.py)."""

urlpatterns: list = []
