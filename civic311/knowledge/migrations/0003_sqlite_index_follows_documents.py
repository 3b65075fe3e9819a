"""SQLite: the FTS5 table follows `knowledge_searchdocument` by itself (triggers), however a document is
written or deleted — through the search services, or by a cascade when a service, an article or a whole
city is deleted (which used to leave rows behind in the FTS table). Rows left behind so far are removed.
PostgreSQL needs nothing: its index is a generated column of the documents' own rows."""

from django.db import migrations

SQLITE_UP = [
    "DELETE FROM knowledge_search_fts WHERE rowid NOT IN (SELECT id FROM knowledge_searchdocument)",
    "CREATE TRIGGER IF NOT EXISTS knowledge_searchdocument_fts_insert AFTER INSERT ON knowledge_searchdocument"
    " BEGIN INSERT INTO knowledge_search_fts (rowid, title, keywords, body)"
    " VALUES (new.id, new.title, new.keywords, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_searchdocument_fts_update AFTER UPDATE ON knowledge_searchdocument"
    " BEGIN DELETE FROM knowledge_search_fts WHERE rowid = old.id;"
    " INSERT INTO knowledge_search_fts (rowid, title, keywords, body)"
    " VALUES (new.id, new.title, new.keywords, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_searchdocument_fts_delete AFTER DELETE ON knowledge_searchdocument"
    " BEGIN DELETE FROM knowledge_search_fts WHERE rowid = old.id; END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS knowledge_searchdocument_fts_delete",
    "DROP TRIGGER IF EXISTS knowledge_searchdocument_fts_update",
    "DROP TRIGGER IF EXISTS knowledge_searchdocument_fts_insert",
]


def _run(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_database_search_indexes")]

    operations = [migrations.RunPython(_run(SQLITE_UP), _run(SQLITE_DOWN))]
