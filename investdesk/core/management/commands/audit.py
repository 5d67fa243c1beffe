import json

from django.core.management.base import BaseCommand, CommandError

from investdesk.core.audit import audit_log, audit_prune, verify_and_record
from investdesk.core.errors import DomainError
from investdesk.core.models import AuditEntry


class Command(BaseCommand):
    help = (
        "The audit log: `verify` walks the hash chain and reports the first broken link; `prune --days N` "
        "removes entries older than N days (never fewer than 180); `export PATH` writes every entry with its "
        "hashes as JSON lines for an assessor."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check the hash chain; exit status 1 when it is broken.")
        prune = sub.add_parser("prune", help="Remove entries older than --days (at least 180).")
        prune.add_argument("--days", type=int, required=True)
        export = sub.add_parser("export", help="Write the log as JSON lines (one entry per line) to PATH.")
        export.add_argument("path")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _verify(self, **options):
        report = verify_and_record()
        if not report.ok:
            self.stderr.write(
                f"BROKEN at entry {report.broken_id} ({report.broken_at:%Y-%m-%d %H:%M:%S}): {report.reason}. "
                f"{report.checked} entries before it are intact."
            )
            raise SystemExit(1)
        self.stdout.write(
            f"OK: {report.checked} entries, {report.algorithm} chain intact; head {report.head_id} {report.head_hash}"
        )

    def _prune(self, *, days, **options):
        try:
            removed = audit_prune(days=days)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Removed {removed} audit entries older than {days} days.")

    def _export(self, *, path, **options):
        count = 0
        with open(path, "w", encoding="utf-8") as out:
            for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
                row = {
                    "id": entry.id,
                    "at": entry.at.isoformat(),
                    "actor": entry.actor_username,
                    "actor_id": entry.actor_id,
                    "actor_unit_id": entry.actor_unit_id,
                    "action": entry.action,
                    "target_type": entry.target_type,
                    "target_id": entry.target_id,
                    "target": entry.target_repr,
                    "changes": entry.changes,
                    "note": entry.note,
                    "ip": entry.ip,
                    "user_agent": entry.user_agent,
                    "prev_hash": entry.prev_hash,
                    "hash": entry.hash,
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        audit_log(actor=None, action=AuditEntry.Action.AUDIT, username="system", note=f"export rows={count}")
        self.stdout.write(f"Wrote {count} entries to {path}.")
