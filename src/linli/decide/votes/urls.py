"""Pages of this part of residents-decide."""

app_name = "votes"

urlpatterns: list = []
