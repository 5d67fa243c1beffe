"""A trigram index for the search box on PostgreSQL, and the province's industrial chains."""

from django.db import migrations

INDUSTRIES = [
    ("electronic-information", "电子信息"),
    ("equipment-manufacturing", "装备制造"),
    ("advanced-materials", "先进材料"),
    ("energy-chemicals", "能源化工"),
    ("food-beverage", "食品饮料"),
    ("medical-health", "医药健康"),
    ("digital-economy", "数字经济"),
    ("modern-services", "现代服务业"),
    ("automotive", "汽车产业"),
    ("modern-agriculture", "现代农业"),
]


def add_industries(apps, schema_editor):
    Industry = apps.get_model("enterprises", "Industry")
    for position, (code, name) in enumerate(INDUSTRIES):
        Industry.objects.get_or_create(code=code, defaults={"name": name, "sort_order": (position + 1) * 10})


def trigram_index(apps, schema_editor):
    # LIKE '%…%' on search_text uses this index on PostgreSQL (pg_trgm). SQLite scans, which is fine
    # at the sizes SQLite serves; the benchmark measures both.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS enterprise_search_trgm ON enterprises_enterprise "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS enterprise_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]

    operations = [
        migrations.RunPython(add_industries, migrations.RunPython.noop),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
