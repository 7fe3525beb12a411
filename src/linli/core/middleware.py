from django.utils.deprecation import MiddlewareMixin

from . import context


class RequestContextMiddleware(MiddlewareMixin):
    """Tags every request's actions with the client address and channel (web or API)."""

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        with context.acting(address=context.client_address(request), channel=channel):
            return self.get_response(request)
