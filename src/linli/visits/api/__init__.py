"""The five links and visits 五联走访 API (see `schemas`)."""

from .schemas import router

__all__ = ["router"]
