import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SESSION_KEY = "linli_last_seen"
# Refresh the stamp at most this often: every request would otherwise write the session row,
# and a minute is far finer than a 30-minute timeout needs.
STAMP_EVERY_SECONDS = 60


class StaffIdleTimeoutMiddleware:
    """Logs staff out after LINLI_STAFF_IDLE_MINUTES without a request (default 30; 等保 idle
    session timeout). Residents are not timed out. Must come after MessageMiddleware, because
    the login page then tells the person why they are there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            if user.is_staff_member and self._idle_too_long(request):
                logout(request)  # flushes the session and writes the logout to the audit trail
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                messages.info(request, _("You were logged out after a period of inactivity."))
                return redirect_to_login(request.get_full_path())
            now = int(time.time())
            if now - request.session.get(SESSION_KEY, 0) >= STAMP_EVERY_SECONDS:
                request.session[SESSION_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _idle_too_long(request) -> bool:
        last = request.session.get(SESSION_KEY)
        limit = settings.LINLI_STAFF_IDLE_MINUTES * 60
        return last is not None and time.time() - last > limit


class PasswordChangeRequiredMiddleware:
    """While a person still has the password an administrator chose for them (a new account, a
    reset), every page leads to the password change: only that page, logging out and the
    language switch answer (the change page says why). The API answers 403 with the reason.
    Comes after the idle timeout, which may log the person out first."""

    OPEN_URL_NAMES = ("accounts:password_change", "accounts:logout", "set_language")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.must_change_password:
            return self.get_response(request)
        if request.path in {reverse(name) for name in self.OPEN_URL_NAMES}:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": str(PASSWORD_CHANGE_FIRST), "errors": []}, status=403)
        change = reverse("accounts:password_change")
        if request.method == "GET" and request.path != "/":
            change = f"{change}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request") == "true":
            return HttpResponse(status=204, headers={"HX-Redirect": change})
        return redirect(change)


PASSWORD_CHANGE_FIRST = gettext_lazy(
    "Please choose your own password first: the one you have was set by an administrator."
)
