"""Chain the audit entries written before the hash chain existed, then make the table append-only in
the database (core/auditguard.py)."""

from django.db import migrations

from investdesk.core import auditguard


def chain_existing(apps, schema_editor):
    from investdesk.core.audit import entry_mac

    AuditEntry = apps.get_model("core", "AuditEntry")
    prev = ""
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        entry.prev_hash = prev
        entry.hash = entry_mac(entry)
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=entry.prev_hash, hash=entry.hash)
        prev = entry.hash


class Migration(migrations.Migration):
    dependencies = [("core", "0004_security")]

    operations = [
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(auditguard.install, auditguard.drop),
    ]
