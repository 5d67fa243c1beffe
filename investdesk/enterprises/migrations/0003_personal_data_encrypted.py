"""Personal data encrypted at rest (SM4) with blind indexes for exact search (core/fields.py)."""

from django.db import migrations

import investdesk.core.fields


def encrypt_existing(apps, schema_editor):
    """Encrypt the plaintext already in these columns and fill the blind indexes (rows read as they are
    until then, so this may also run again later: it is `investdesk rekey` for these models)."""
    from investdesk.core.fields import reencrypt

    for app_label, model_name in [("enterprises", "Contact"), ("enterprises", "ChamberPerson")]:
        reencrypt(apps.get_model(app_label, model_name))


def drop_mobiles_from_search_text(apps, schema_editor):
    """search_text held contacts' mobile digits in plaintext: rebuild it without them."""
    from investdesk.enterprises.services import search_text_for

    Enterprise = apps.get_model("enterprises", "Enterprise")
    Contact = apps.get_model("enterprises", "Contact")
    last_pk = 0
    while True:
        batch = list(Enterprise.objects.filter(pk__gt=last_pk).order_by("pk")[:500])
        if not batch:
            return
        contacts: dict[int, list] = {}
        for enterprise_id, name, phone in Contact.objects.filter(enterprise__in=batch).values_list(
            "enterprise_id", "name", "phone"
        ):
            contacts.setdefault(enterprise_id, []).append((name, phone))
        for enterprise in batch:
            enterprise.search_text = search_text_for(enterprise, contacts.get(enterprise.pk, []))
        Enterprise.objects.bulk_update(batch, ["search_text"])
        last_pk = batch[-1].pk


def decrypt_existing(apps, schema_editor):
    """Back to plaintext, so the columns can become short CharFields again."""
    from investdesk.core.fields import decrypt_in_place

    for app_label, model_name in [("enterprises", "Contact"), ("enterprises", "ChamberPerson")]:
        decrypt_in_place(apps.get_model(app_label, model_name), schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0002_search_index_and_industries"),
    ]

    operations = [
        migrations.AddField(
            model_name="chamberperson",
            name="mobile_index",
            field=investdesk.core.fields.BlindIndexField(source="mobile"),
        ),
        migrations.AddField(
            model_name="contact",
            name="mobile_index",
            field=investdesk.core.fields.BlindIndexField(source="mobile"),
        ),
        migrations.AlterField(
            model_name="chamberperson",
            name="mobile",
            field=investdesk.core.fields.EncryptedCharField(blank=True, max_length=20, verbose_name="mobile"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="mobile",
            field=investdesk.core.fields.EncryptedCharField(blank=True, max_length=20, verbose_name="mobile"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
        migrations.RunPython(drop_mobiles_from_search_text, migrations.RunPython.noop),
    ]
