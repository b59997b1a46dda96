"""PostgreSQL: the search document stored in a ``search_doc tsvector`` column on leads,
accounts, contacts and opportunities, set by a trigger, with a GIN index; the GIN
expression indexes it replaces are dropped. The column lets the planner answer "the 1,001
newest matches" by walking the primary key and testing a stored value instead of
recomputing the document per row (opportune/search/postgres.py, docs/search.md). SQLite is
unchanged (its FTS5 tables already hold the documents)."""

from django.db import migrations


def store(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opportune.search import postgres

    if schema_editor.connection.vendor == "postgresql":
        postgres.install(schema_editor.connection)


def unstore(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opportune.search import postgres, sources

    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for kind in sources.KINDS:
            table = sources.SOURCES[kind].table
            cursor.execute(f"DROP TRIGGER IF EXISTS search_{kind}_document ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS search_{kind}_document()")
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {postgres.COLUMN}")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS search_{kind}_doc ON {table} "
                f"USING gin (({postgres.document(kind)}))"
            )


class Migration(migrations.Migration):
    dependencies = [("search", "0003_sqlite_prefix_indexes")]
    operations = [migrations.RunPython(store, unstore, elidable=False)]
