"""Login, logout, failed-login and lockout events become audit entries.

Django's and django-axes' auth signals are the only place these events surface, so this is the
one place signals carry work in InvestDesk.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from investdesk.core.audit import audit_log
from investdesk.core.models import AuditEntry


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_log(actor=user, action=AuditEntry.Action.LOGIN, target=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_log(actor=user, action=AuditEntry.Action.LOGOUT, target=user)


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
