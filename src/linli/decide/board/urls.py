"""Pages of this part of residents-decide."""

app_name = "board"

urlpatterns: list = []
