"""This part's menu entries (registered by `DecideConfig.ready`)."""


def register_entries() -> None:
    """Nothing yet."""
