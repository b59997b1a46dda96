"""PostgreSQL: documents and queries folded by ``opportune_fold`` (unaccent when available,
else translate), so 'jose' finds 'José' as on SQLite; the GIN indexes are rebuilt on the new
expression. Works without superuser rights (opportune/search/index.py, docs/search.md)."""

from django.db import migrations


def fold(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opportune.search import index

    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return  # SQLite's FTS5 tokenizer already removes diacritics
    with connection.cursor() as cursor:
        for kind in index.KINDS:
            cursor.execute(f"DROP INDEX IF EXISTS search_{kind}_doc")
    index.install_fold(connection, replace=True)
    index.install(connection, refill=True)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_index")]
    operations = [migrations.RunPython(fold, migrations.RunPython.noop, elidable=False)]
