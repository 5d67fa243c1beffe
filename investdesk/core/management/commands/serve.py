import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve InvestDesk with gunicorn (production-grade; not runserver)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
        # More than one thread per worker switches gunicorn to its threaded worker (gthread).
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "1")))

    def handle(self, *args, host, port, workers, threads, **options):
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.stdout.write(f"InvestDesk on http://{bind}/  (database: {settings.DATABASES['default']['ENGINE']})")
        sys.stdout.flush()
        args = [
            "gunicorn",
            "investdesk.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
            "--timeout",
            "120",
        ]
        os.execvp(sys.executable, [sys.executable, "-m", *args])
