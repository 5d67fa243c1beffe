"""Login, logout, failed-login and lockout events become audit entries, and sessions are recorded
so they can be ended from outside (core/services.py `sessions_end_for_user`).

Django's and django-axes' auth signals are the only place these events surface, so this is the
one place signals carry work in InvestDesk.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from investdesk.core import services
from investdesk.core.audit import audit_log
from investdesk.core.models import AuditEntry


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    from investdesk.core.middleware import client_ip, mark_authenticated

    audit_log(actor=user, action=AuditEntry.Action.LOGIN, target=user)
    if request is not None and hasattr(request, "session"):
        mark_authenticated(request)
        if request.session.session_key is None:
            request.session.save()
        services.session_started(
            user=user,
            session_key=request.session.session_key,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_log(actor=user, action=AuditEntry.Action.LOGOUT, target=user)
    if request is not None and hasattr(request, "session"):
        services.session_ended(session_key=request.session.session_key)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    audit_log(actor=None, action=AuditEntry.Action.LOGIN_FAILED, username=str(credentials.get("username", "")))


@receiver(user_locked_out)
def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit_log(
        actor=None,
        action=AuditEntry.Action.LOCKOUT,
        username=str(username or ""),
        note=f"locked after repeated failures from {ip_address}",
    )
