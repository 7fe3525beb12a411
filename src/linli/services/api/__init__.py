"""The service hall 便民服务 API (see `routes_applications`)."""

from .routes_applications import applications, catalogue, steps

__all__ = ["applications", "catalogue", "steps"]
