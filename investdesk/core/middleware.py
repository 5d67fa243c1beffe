"""Request context for audit rows, and the gate that ends sessions past their absolute lifetime and
sends people to change a password (first sign-in, or older than PASSWORD_MAX_AGE_DAYS) or set up 2FA."""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from investdesk.core.audit import RequestContext, request_context
from investdesk.core.models import ADMIN_ROLES

AUTH_AT = "investdesk_auth_at"  # when the password (and second factor) were last proven


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
