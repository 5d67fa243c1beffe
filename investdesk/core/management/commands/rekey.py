"""`investdesk rekey`: every encrypted value rewritten with the current key, every blind index recomputed.

Run it after putting a new key first in PERSONAL_DATA_KEYS (then the old key can be removed), after
changing PERSONAL_DATA_INDEX_KEY, and once after moving from keys derived from SECRET_KEY to real ones.
It works in batches, each committed on its own, so it may run while the site is up and may be run
again after an interruption.
"""

from django.apps import apps
from django.core.management.base import BaseCommand

from investdesk.core.audit import audit_log
from investdesk.core.crypto import get_provider
from investdesk.core.fields import encrypted_fields, reencrypt
from investdesk.core.models import AuditEntry


class Command(BaseCommand):
    help = "Re-encrypt personal data with the current key (PERSONAL_DATA_KEYS) and recompute blind indexes."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")

    def handle(self, *args, batch: int, **options):
        key_id = get_provider().current_key_id
        counts = {}
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed or not encrypted_fields(model):
                continue
            counts[model._meta.label] = reencrypt(model, batch_size=max(batch, 1))
            self.stdout.write(f"{model._meta.label}: {counts[model._meta.label]} rows")
        audit_log(
            actor=None,
            username="system",
            action=AuditEntry.Action.UPDATE,
            changes={"rekey": counts},
            note=f"personal data re-encrypted with key {key_id}",
        )
        self.stdout.write(self.style.SUCCESS(f"Done: {sum(counts.values())} rows now use key {key_id}."))
