"""Background work of the core app (run by `investdesk worker`)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from investdesk.core.models import Notification


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
