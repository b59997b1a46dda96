"""The search index of leads, accounts, contacts and opportunities (opportune/search/index.py):
FTS5 tables and triggers on SQLite, GIN expression indexes on PostgreSQL."""

from django.db import migrations


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opportune.search import index

    index.install(schema_editor.connection)


def uninstall(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opportune.search import index

    index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0009_lead_score_reasons"),
        ("accounts", "0006_custom_field_values"),
        ("opportunities", "0006_custom_field_values"),
    ]
    operations = [migrations.RunPython(install, uninstall, elidable=False)]
