"""PostgreSQL: ``search_word``, every word of the search documents, kept by the document
trigger and filled here from the stored documents, so a search asks GIN for a prefix's
whole words (opportune/search/words.py says why). SQLite is unchanged (FTS5 has prefix
indexes). Reversing keeps the table: the trigger still inserts into it, harmlessly."""

from django.db import migrations


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opportune.search import postgres

    if schema_editor.connection.vendor == "postgresql":
        postgres.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("search", "0004_search_document_pg")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop, elidable=False)]
