from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand


def daily_tasks() -> list:
    """Every InvestDesk app's `tasks.DAILY` list, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        if config.name.startswith("investdesk.") and find_spec(f"{config.name}.tasks"):
            found.extend(getattr(import_module(f"{config.name}.tasks"), "DAILY", []))
    return found


class Command(BaseCommand):
    help = "Enqueue the daily background tasks (run it once a day from cron or a systemd timer)."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="Run the tasks here instead of enqueuing them.")

    def handle(self, *args, now, **options):
        for daily in daily_tasks():
            if now:
                self.stdout.write(f"{daily.name}: {daily.call()}")
            else:
                self.stdout.write(f"{daily.name}: enqueued {daily.enqueue().id}")
