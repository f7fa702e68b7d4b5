"""Languages: the account's and the organisation's language, the language a signature was made in
(its mails are in it), the language of each queued mail; petitions use BCP 47 ('no' becomes 'nb').

Frozen: plain DDL, the same for SQLite and PostgreSQL (ADD COLUMN with a constant default needs no
table rebuild in either, so SQLite's foreign keys stay untouched).
"""
COLUMNS = (
    ("user", '"language" VARCHAR(16)'),
    ("organisation", "\"language\" VARCHAR(16) NOT NULL DEFAULT 'en'"),
    ("signature", "\"language\" VARCHAR(16) NOT NULL DEFAULT 'en'"),
    ("outbox_message", "\"language\" VARCHAR(16) NOT NULL DEFAULT 'en'"),
)


def up(database):
    for table, column in COLUMNS:
        present = {c.name for c in database.get_columns(table)}
        if "language" in present:
            continue
        database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN {column}')
        if table == "signature":
            # signatures made before: their mails follow the petition's language (mail falls back to the
            # default language for a petition language the interface does not have)
            database.execute_sql("UPDATE signature SET language = COALESCE((SELECT p.language FROM petition p "
                                 "WHERE p.id = signature.petition_id), 'en')")
    database.execute_sql("UPDATE petition SET language = 'nb' WHERE language IN ('no', 'nn', 'no-NO', 'nb-NO')")
