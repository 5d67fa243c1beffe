from django.core.management.base import BaseCommand, CommandError

from investdesk.core.audit import audit_log
from investdesk.core.backup import BackupError, backup
from investdesk.core.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database (SQLite online backup, or pg_dump's custom format) and the "
        "uploaded files into the new directory PATH, with a manifest of every table's row count and checksum."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            summary = backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        audit_log(actor=None, action=AuditEntry.Action.EXPORT, username="system", note=f"backup to {path}"[:300])
        self.stdout.write(
            f"Backup in {summary.path}: {summary.tables} tables, {summary.rows} rows, {summary.files} files, "
            f"{summary.bytes / 1_048_576:.1f} MB."
        )
