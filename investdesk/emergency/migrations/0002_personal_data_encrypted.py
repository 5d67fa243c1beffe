"""Personal data encrypted at rest (SM4) with blind indexes for exact search (core/fields.py)."""

from django.db import migrations

import investdesk.core.fields


def encrypt_existing(apps, schema_editor):
    """Encrypt the plaintext already in these columns and fill the blind indexes (rows read as they are
    until then, so this may also run again later: it is `investdesk rekey` for these models)."""
    from investdesk.core.fields import reencrypt

    for app_label, model_name in [("emergency", "Shipment")]:
        reencrypt(apps.get_model(app_label, model_name))


def decrypt_existing(apps, schema_editor):
    """Back to plaintext, so the columns can become short CharFields again."""
    from investdesk.core.fields import decrypt_in_place

    for app_label, model_name in [("emergency", "Shipment")]:
        decrypt_in_place(apps.get_model(app_label, model_name), schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("emergency", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipment",
            name="driver_id_number",
            field=investdesk.core.fields.EncryptedCharField(
                blank=True,
                mask="investdesk.lib.masking.mask_id_number",
                max_length=18,
                normalize="investdesk.core.fields.normalize_id_number",
                verbose_name="driver's ID number",
            ),
        ),
        migrations.AlterField(
            model_name="shipment",
            name="driver_phone",
            field=investdesk.core.fields.EncryptedCharField(blank=True, max_length=20, verbose_name="driver's phone"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
