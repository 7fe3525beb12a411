"""Pages of this part of residents-decide."""

app_name = "matter_tasks"

urlpatterns: list = []
