"""URL patterns of the service hall's outreach pages (collected in services/urls.py)."""

urlpatterns: list = []
