"""Notifications by email through a real SMTP server on loopback (aiosmtpd), and the task worker."""

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from investdesk.core import services
from investdesk.core.models import Notification
from investdesk.core.tasks import send_notification_email


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    import socket

    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


def test_a_notification_is_emailed_once(smtp, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(users=[owner], key="k1", text="诉求 SQ202200001 已交由你单位办理", url="/cases/1/")
    notification = Notification.objects.get()
    assert send_notification_email.call(notification.pk) is True
    assert send_notification_email.call(notification.pk) is False  # idempotent
    assert len(smtp.messages) == 1
    recipients, content = smtp.messages[0]
    assert recipients == [owner.email]
    assert "/cases/1/" in content


@pytest.mark.django_db(transaction=True)
def test_notify_enqueues_after_commit_and_the_worker_sends(smtp, owner):
    # Committed for real (the worker closes and reopens connections as it does in production).
    services.notify(users=[owner], key="k2", text="诉求已逾期", url="/cases/2/")
    call_command("db_worker", batch=True, startup_delay=False, reload=False)
    assert len(smtp.messages) == 1
    assert Notification.objects.get().emailed_at is not None
