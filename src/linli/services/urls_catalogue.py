"""URL patterns of the service hall's catalogue pages (collected in services/urls.py)."""

urlpatterns: list = []
