"""Background work of the core app (run by `investdesk worker`)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from investdesk.core.models import Notification


@task()
def audit_housekeeping() -> str:
    """Daily: remove audit entries past AUDIT_RETENTION_DAYS, verify the hash chain (the result is
    itself an audit entry the audit administrator sees), forget records of expired sessions."""
    from investdesk.core.audit import audit_prune, verify_and_record
    from investdesk.core.services import sessions_forget_expired

    removed = audit_prune(days=settings.AUDIT_RETENTION_DAYS)
    report = verify_and_record()
    sessions = sessions_forget_expired()
    head = f"head {report.head_id} {report.head_hash}" if report.ok else f"BROKEN at {report.broken_id}"
    return f"pruned {removed}, checked {report.checked} ({head}), forgot {sessions} sessions"


@task()
def snapshot_refresh(snapshot_id: int) -> str:
    """Recompute one figures snapshot that has grown older than FIGURES_MAX_AGE. Idempotent."""
    from investdesk.core.snapshots import snapshot_recompute

    return snapshot_recompute(snapshot_id=snapshot_id)


@task()
def snapshots_housekeeping() -> str:
    """Daily: forget figures snapshots too old to be shown."""
    from investdesk.core.snapshots import snapshots_prune

    return f"removed {snapshots_prune()} figures snapshots"


DAILY = [audit_housekeeping, snapshots_housekeeping]


@task()
def send_notification_email(notification_id: int) -> bool:
    """Email one notification to its person. Idempotent: a notification is emailed at most once."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("user").filter(pk=notification_id).first()
        )
        if notification is None or notification.emailed_at or not notification.user.email:
            return False
        link = f"{settings.SITE_URL}{notification.url}" if notification.url else settings.SITE_URL
        send_mail(
            subject=f"[{_('InvestDesk')}] {notification.text}"[:150],
            message=f"{notification.user.name}：\n\n{notification.text}\n\n{link}\n",
            from_email=None,
            recipient_list=[notification.user.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
