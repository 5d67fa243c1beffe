"""`investdesk deliver`: a delivery worker for campaign messages. Runs until stopped; SIGTERM (or
Ctrl-C) lets the message being sent finish, gives back what it had claimed and exits."""

import signal
import threading

from django.core.management.base import BaseCommand

from investdesk.outreach import delivery


class Command(BaseCommand):
    help = "Deliver campaign messages (email, SMS, WeCom) until stopped; --until-idle exits when none is due."

    def add_arguments(self, parser):
        parser.add_argument("--until-idle", action="store_true", help="Exit when no message is due.")
        parser.add_argument("--campaign", type=int, default=None)
        parser.add_argument("--batch", type=int, default=20)

    def handle(self, *args, until_idle, campaign, batch, **options):
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        counts = delivery.run(campaign_id=campaign, stop=stop, until_idle=until_idle, batch=batch)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing to deliver")
