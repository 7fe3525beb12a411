"""The residents-decide module's menu entries 由民做主."""


def register_entries() -> None:
    """Nothing yet."""
