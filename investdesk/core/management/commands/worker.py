from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background task worker (django-tasks-db). Run one or more beside `serve`."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="*")
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true", help="Process what is queued, then exit.")

    def handle(self, *args, queue_name, interval, batch, **options):
        kwargs = {"queue_name": queue_name, "interval": interval}
        if batch:
            kwargs["batch"] = True
        call_command("db_worker", **kwargs)
