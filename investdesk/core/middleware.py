"""Request context for audit rows; the gate that ends sessions past their absolute lifetime and
sends people to change a password (first sign-in, or older than PASSWORD_MAX_AGE_DAYS) or set up 2FA;
and the 503 answer when the database is unavailable."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from investdesk.core.audit import RequestContext, request_context
from investdesk.core.models import ADMIN_ROLES

AUTH_AT = "investdesk_auth_at"  # when the password (and second factor) were last proven
RETRY_AFTER_SECONDS = 30

logger = logging.getLogger("investdesk.database")


def client_ip(request) -> str | None:
    if "HTTP_X_FORWARDED_FOR" in settings.AXES_IPWARE_META_PRECEDENCE_ORDER:  # BEHIND_PROXY=1
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_context.set(
            RequestContext(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
        )
        try:
            return self.get_response(request)
        finally:
            request_context.reset(token)


# Paths a signed-in person may reach before changing their password or enrolling a second factor.
_OPEN_PREFIXES = ("/static/", "/healthz", "/i18n/", "/logout/", "/api/")


class AccountGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and session_expired(request):
            logout(request)
            messages.info(request, _("Your session reached its maximum length; please sign in again."))
            return redirect(f"{reverse('login')}?next={request.path}")
        if user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES):
            target = pending_account_step(user)
            if target and request.path != target:
                return redirect(target)
        return self.get_response(request)


def mark_authenticated(request) -> None:
    """Record that the person just proved who they are (sign-in or re-authentication)."""
    request.session[AUTH_AT] = time.time()


def session_expired(request) -> bool:
    """Whether the session is older than SESSION_ABSOLUTE_HOURS, however active it has been."""
    started = request.session.get(AUTH_AT)
    if started is None:  # signed in before this rule existed: the clock starts now
        mark_authenticated(request)
        return False
    return time.time() - started > settings.SESSION_ABSOLUTE_HOURS * 3600


def password_expired(user) -> bool:
    days = settings.PASSWORD_MAX_AGE_DAYS
    changed = user.password_changed_at
    return bool(days and changed and timezone.now() - changed > timedelta(days=days))


def pending_account_step(user) -> str | None:
    """The URL a signed-in person must visit before anything else, or None when there is none."""
    from django_otp import user_has_device

    if user_has_device(user) and not user.is_verified():
        # The password was right; the session counts only once the second factor is proven too.
        return reverse("otp_verify")
    if user.must_change_password or password_expired(user):
        return reverse("password_change")
    if settings.OTP_REQUIRED_FOR_ADMINS and user.role in ADMIN_ROLES and not user_has_device(user):
        return reverse("otp_setup")
    return None


# --- the database going away --------------------------------------------------------------------


class DatabaseUnavailableMiddleware:
    """A view that loses the database (PostgreSQL restarting or unreachable, SQLite locked past its
    timeout) answers 503 with Retry-After and a page saying nothing was saved, instead of a 500.

    Nothing was saved indeed: services write in one transaction, which the database rolls back when
    the connection breaks, and Django closes the broken connection when the request ends
    (close_old_connections), so the next request connects afresh. Errors raised outside a view reach
    Django's error handlers instead, which answer the same way (core/views.py): the session loaded in
    middleware (the 500 handler), or saved after the view (Django turns that into SessionInterrupted,
    a 400 "session deleted": the 400 handler).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            logger.error(
                "Database unavailable at %s %s: %s",
                request.method,
                request.path,
                exception,
                exc_info=exception,
            )
            return database_unavailable(request)
        if isinstance(exception, OverflowError) and not request.path.startswith("/api/"):
            # A number past 64 bits in the address (a filter's id) reached SQLite, which cannot bind
            # it: the request is wrong, not the server (the API answers 422 the same way, api.py).
            return HttpResponseBadRequest(
                _("A number in the address is out of range: whole numbers have at most 18 digits."),
                content_type="text/plain; charset=utf-8",
            )
        return None


DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def database_error_in(exc: BaseException | None) -> BaseException | None:
    """The database error behind `exc`, if there is one: itself, or one it was raised from or while
    handling (SessionInterrupted ← UpdateError ← OperationalError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DATABASE_UNAVAILABLE):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def database_unavailable(request) -> HttpResponse:
    """The 503 answer: JSON in the API's error shape (api.py ErrorOut) under /api/, else a page.

    It must not touch the database: the page is rendered without context processors (they read the
    session and the user) from a template that extends nothing.
    """
    message = _("The database is unavailable for a moment. Please try again shortly; what you just did was not saved.")
    if request.path.startswith("/api/"):
        error = {"field": None, "message": message, "code": "unavailable"}
        response = JsonResponse({"detail": message, "errors": [error]}, status=503)
    else:
        try:
            body = loader.get_template("503.html").render({"message": message, "path": request.path})
        except Exception:  # the page must not fail in turn (e.g. no static files manifest)
            logger.exception("The 503 page could not be rendered")
            body = message
        response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
