from django.core.management.base import BaseCommand, CommandError

from investdesk.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `investdesk backup` into the configured database, which must be empty (run no "
        "migrate before), and the media directory; then check every table and file against the backup's manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            summary = restore(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored {summary.tables} tables ({summary.rows} rows) and {summary.files} files from {path}; "
            "every table's row count and checksum matches the backup."
        )
