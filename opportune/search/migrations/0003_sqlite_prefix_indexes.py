"""SQLite: FTS5 prefix indexes of 2 to 8 characters (were 2 and 3), so a 4-8 letter word
typed in the box is one doclist read instead of a merge of every word it starts
(opportune/search/index.py, PREFIXES). The tables are rebuilt from the rows."""

from django.db import migrations


def rebuild(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opportune.search import index

    if schema_editor.connection.vendor == "sqlite":
        index.rebuild_sqlite(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_postgres_accent_folding")]
    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=False)]
