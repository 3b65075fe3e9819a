"""The database's own full-text index over `SearchDocument`, made only on the database it is for.

SQLite: an FTS5 table (rowid = the document's id) with the unicode61 tokenizer folding accents.
PostgreSQL: pg_trgm, a generated tsvector column (title A, keywords B, body C) with a GIN index, and a
trigram index on the title for misspelt words.
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_search_fts USING fts5("
    "title, keywords, body, tokenize = 'unicode61 remove_diacritics 2')",
]
SQLITE_DOWN = ["DROP TABLE IF EXISTS knowledge_search_fts"]

POSTGRESQL_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE knowledge_searchdocument ADD COLUMN vector tsvector GENERATED ALWAYS AS ("
    " setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, coalesce(keywords, '')), 'B')"
    " || setweight(to_tsvector('simple'::regconfig, coalesce(body, '')), 'C')) STORED",
    "CREATE INDEX knowledge_doc_vector ON knowledge_searchdocument USING gin (vector)",
    "CREATE INDEX knowledge_doc_title_trgm ON knowledge_searchdocument USING gin (title gin_trgm_ops)",
]
POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS knowledge_doc_title_trgm",
    "DROP INDEX IF EXISTS knowledge_doc_vector",
    "ALTER TABLE knowledge_searchdocument DROP COLUMN IF EXISTS vector",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_articles_and_search_documents")]

    operations = [
        migrations.RunPython(_run({"sqlite": SQLITE_UP, "postgresql": POSTGRESQL_UP}),
                             _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRESQL_DOWN})),
    ]
