import json
import platform

from django.core.management.base import BaseCommand
from django.db import connection

from investdesk.core.bench import Bench


class Command(BaseCommand):
    help = (
        "Measure the key screens (p50/p95, side by side with the Django admin and the raw SQL of each) and "
        "the heavy jobs (xlsx import, bulletin, campaign preparation, SMTP delivery) on the data in the "
        "database; load it first with `investdesk generate --scale ...`. Jobs are rolled back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="", help="the scale the data was generated at (recorded in the report)")
        parser.add_argument("--repeat", type=int, default=20, help="timed requests per screen (after 2 warm-ups)")
        parser.add_argument("--import-rows", type=int, default=100_000)
        parser.add_argument("--campaign-recipients", type=int, default=100_000)
        parser.add_argument("--smtp-messages", type=int, default=1_200)
        parser.add_argument("--only", action="append", help="only the screens whose name contains this (repeatable)")
        parser.add_argument("--no-screens", action="store_true")
        parser.add_argument("--no-jobs", action="store_true")
        parser.add_argument("--json", dest="json_path", help="write the results as JSON to this file")
        parser.add_argument("--markdown", dest="markdown_path", help="write the results tables to this file")

    def handle(self, *args, scale, repeat, import_rows, campaign_recipients, smtp_messages, only, no_screens,
               no_jobs, json_path, markdown_path, **options):  # fmt: skip
        machine = (
            f"{platform.node()}: {platform.processor() or platform.machine()}, {_cpus()} CPUs, {platform.system()}"
        )
        self.stdout.write(f"bench on {connection.vendor} ({connection.settings_dict['NAME']}), {machine}")
        bench = Bench(
            repeat=repeat,
            import_rows=import_rows,
            campaign_recipients=campaign_recipients,
            smtp_messages=smtp_messages,
            only=only,
            log=self.stdout.write,
        )
        report = bench.run(screens=not no_screens, jobs=not no_jobs)
        data = {"scale": scale, "machine": machine, **report.as_dict()}
        self.stdout.write(report.markdown())
        if json_path:
            with open(json_path, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, indent=2, default=str)
        if markdown_path:
            with open(markdown_path, "w", encoding="utf-8") as out:
                out.write(f"{report.when} · {scale or 'unknown scale'} · {report.database} · {machine}\n\n")
                out.write(f"Rows: {', '.join(f'{k} {v:,}' for k, v in report.counts.items())}\n\n")
                out.write(report.markdown())


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
