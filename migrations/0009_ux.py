"""Issue 11 (citizen and clerk experience), frozen DDL for SQLite and PostgreSQL:

- `site_page`: the terms, privacy notice, accessibility statement and contact page, editable by
  site admins (Markdown); a page without a row shows the shipped default text.
- `petition.description_source`, `response.body_source`: the Markdown a person wrote; the sanitised
  HTML rendered from it stays in `description` / `body` (older rows have HTML only and keep rendering).
- `signature.resend_count`: how often the confirmation mail was sent again (the resend limit).
- full-text search over petitions: SQLite FTS5 (`petition_search`, kept in step by triggers);
  PostgreSQL a GIN index on the tsvector in the petition's own language (models/search.py uses
  the same expression, which must stay identical to the one indexed here).
"""

PG_CONFIG = ("CASE language WHEN 'nl' THEN 'dutch'::regconfig WHEN 'de' THEN 'german'::regconfig "
             "WHEN 'fr' THEN 'french'::regconfig WHEN 'es' THEN 'spanish'::regconfig "
             "WHEN 'it' THEN 'italian'::regconfig WHEN 'sv' THEN 'swedish'::regconfig "
             "WHEN 'da' THEN 'danish'::regconfig WHEN 'nb' THEN 'norwegian'::regconfig "
             "WHEN 'fi' THEN 'finnish'::regconfig WHEN 'pt' THEN 'portuguese'::regconfig "
             "WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END")
PG_DOCUMENT = ("setweight(to_tsvector(" + PG_CONFIG + ", coalesce(title, '')), 'A') || "
               "setweight(to_tsvector(" + PG_CONFIG + ", coalesce(request, '')), 'B') || "
               "setweight(to_tsvector(" + PG_CONFIG + ", coalesce(statement, '') || ' ' || "
               "coalesce(description, '')), 'C')")


def add_column(database, table, column, ddl):
    if column not in {c.name for c in database.get_columns(table)}:
        database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {ddl}')


def up(database):
    import peewee as pw

    postgres = isinstance(database, pw.PostgresqlDatabase)
    serial = "SERIAL NOT NULL PRIMARY KEY" if postgres else "INTEGER NOT NULL PRIMARY KEY"
    stamp = "TIMESTAMP" if postgres else "DATETIME"
    database.execute_sql(f'''CREATE TABLE IF NOT EXISTS "site_page" (
        "id" {serial},
        "slug" VARCHAR(32) NOT NULL,
        "title" VARCHAR(200) NOT NULL,
        "body" TEXT NOT NULL,
        "updated_at" {stamp} NOT NULL,
        "updated_by_id" INTEGER NULL)''')
    database.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "site_page_slug" ON "site_page" ("slug")')
    # (while 0001 still creates tables from today's models, these columns may exist already)
    add_column(database, "petition", "description_source", "TEXT NULL")
    add_column(database, "response", "body_source", "TEXT NULL")
    add_column(database, "signature", "resend_count", "INTEGER NOT NULL DEFAULT 0")
    if postgres:
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS "petition_fulltext" ON "petition" USING GIN (({PG_DOCUMENT}))')
        return
    database.execute_sql('''CREATE VIRTUAL TABLE IF NOT EXISTS "petition_search" USING fts5(
        title, request, body, tokenize='porter unicode61 remove_diacritics 2')''')
    columns = "title, request, body"
    values = "new.title, new.request, coalesce(new.statement, '') || ' ' || coalesce(new.description, '')"
    database.execute_sql(f'''CREATE TRIGGER IF NOT EXISTS "petition_search_insert" AFTER INSERT ON "petition" BEGIN
        INSERT INTO "petition_search" (rowid, {columns}) VALUES (new.id, {values}); END''')
    database.execute_sql(f'''CREATE TRIGGER IF NOT EXISTS "petition_search_update"
        AFTER UPDATE OF title, request, statement, description ON "petition" BEGIN
        DELETE FROM "petition_search" WHERE rowid = old.id;
        INSERT INTO "petition_search" (rowid, {columns}) VALUES (new.id, {values}); END''')
    database.execute_sql('''CREATE TRIGGER IF NOT EXISTS "petition_search_delete" AFTER DELETE ON "petition" BEGIN
        DELETE FROM "petition_search" WHERE rowid = old.id; END''')
    database.execute_sql(f'''INSERT INTO "petition_search" (rowid, {columns})
        SELECT id, title, request, coalesce(statement, '') || ' ' || coalesce(description, '') FROM "petition"''')
