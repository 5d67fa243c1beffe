import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from investdesk.core import loadtest


class Command(BaseCommand):
    help = (
        "Load-test a served InvestDesk: N virtual users sign in (accounts PREFIX01…, password from "
        "LOADTEST_PASSWORD) and run mixed journeys for S seconds; prints p50/p95/max per journey and exits "
        "non-zero on any error. --create-accounts makes those accounts in this installation's database "
        "(test or staging only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base", default="http://127.0.0.1:8000", help="The served site's address.")
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--seconds", type=float, default=60.0)
        parser.add_argument("--prefix", default="load", help="Account names: PREFIX01, PREFIX02, …")
        parser.add_argument("--json", dest="json_path", help="Also write the figures to this JSON file.")
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            help="Seconds a request may take (50 sign-ins at once hash 50 passwords on 2 cores).",
        )
        parser.add_argument(
            "--create-accounts",
            action="store_true",
            help="Create the --users accounts in this installation's database, then stop.",
        )

    def handle(self, *args, base, users, seconds, prefix, json_path, timeout, create_accounts, **options):
        password = os.environ.get("LOADTEST_PASSWORD", "")
        if not password:
            raise CommandError("Set LOADTEST_PASSWORD to the load-test accounts' password.")
        if users < 1 or seconds <= 0:
            raise CommandError("--users and --seconds must be positive.")
        if create_accounts:
            try:
                created = loadtest.create_accounts(count=users, password=password, prefix=prefix)
            except ValidationError as exc:
                raise CommandError(f"LOADTEST_PASSWORD is refused: {' '.join(exc.messages)}") from None
            except loadtest.LoadTestError as exc:
                raise CommandError(str(exc)) from None
            last = loadtest.account_name(prefix, users)
            self.stdout.write(f"{created} load-test accounts created ({loadtest.account_name(prefix, 1)}–{last}).")
            return
        report = loadtest.run(
            base=base,
            users=users,
            seconds=seconds,
            password=password,
            prefix=prefix,
            token=os.environ.get("LOADTEST_TOKEN", ""),
            timeout=timeout,
            log=lambda message: self.stderr.write(message),
        )
        summary = report.summary()
        self.stdout.write(loadtest.format_table(summary))
        if json_path:
            loadtest.write_json(json_path, summary)
        if summary["errors"] or report.signed_in < users:
            raise CommandError(f"{summary['errors']} errors; {report.signed_in} of {users} users signed in.")
