"""Personal data encrypted at rest (SM4) with blind indexes for exact search (core/fields.py)."""

from django.db import migrations

import investdesk.core.fields


def encrypt_existing(apps, schema_editor):
    """Encrypt the plaintext already in these columns and fill the blind indexes (rows read as they are
    until then, so this may also run again later: it is `investdesk rekey` for these models)."""
    from investdesk.core.fields import reencrypt

    for app_label, model_name in [("outreach", "Message")]:
        reencrypt(apps.get_model(app_label, model_name))


def decrypt_existing(apps, schema_editor):
    """Back to plaintext, so the columns can become short CharFields again."""
    from investdesk.core.fields import decrypt_in_place

    for app_label, model_name in [("outreach", "Message")]:
        decrypt_in_place(apps.get_model(app_label, model_name), schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="address",
            field=investdesk.core.fields.EncryptedCharField(
                blank=True, mask="investdesk.outreach.models.mask_address", max_length=254
            ),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
