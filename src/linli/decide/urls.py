"""The residents-decide pages 由民做主, under /decide/."""

app_name = "decide"

urlpatterns: list = []
