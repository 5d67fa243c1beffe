import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from investdesk.core.generate import SCALES, Generator, describe


class Command(BaseCommand):
    help = (
        "Load synthetic data at scale into a database without enterprises: small ≈ 2,000 enterprises, "
        "medium ≈ 100,000, large = 1,000,000 (with contacts, visits, cases, projects, campaigns, messages, "
        "volunteer stints and donations in proportion). Bulk inserts (COPY on PostgreSQL) that keep every "
        "invariant the services keep; the same --seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--append", action="store_true", help="add to a database that has enterprises already")

    def handle(self, *args, scale, seed, append, **options):
        self.stdout.write(
            f"generate --scale {scale} --seed {seed} into {connection.vendor} ({connection.settings_dict['NAME']})"
        )
        generator = Generator(SCALES[scale], seed=seed, append=append, log=self.stdout.write)
        started = time.perf_counter()
        try:
            counts = generator.run()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        elapsed = time.perf_counter() - started
        total = sum(counts.values())
        self.stdout.write(describe(counts))
        self.stdout.write(
            self.style.SUCCESS(
                f"{total:,} rows in {elapsed:,.1f} s: {total / elapsed:,.0f} rows/s ({connection.vendor})"
            )
        )
