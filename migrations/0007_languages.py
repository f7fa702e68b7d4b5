"""Languages: the account's and the organisation's language, the language a signature was made in
(its mails are in it), the language of each queued mail; petitions use BCP 47 ('no' becomes 'nb').

Frozen: plain playhouse.migrate operations on fields declared here, for SQLite and PostgreSQL.
"""
import peewee as pw
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate


def up(database):
    migrator = (PostgresqlMigrator(database) if isinstance(database, pw.PostgresqlDatabase)
                else SqliteMigrator(database))
    present = {table: {column.name for column in database.get_columns(table)}
               for table in ("user", "organisation", "signature", "outbox_message")}
    operations = []
    wanted = (
        ("user", "language", pw.CharField(max_length=16, null=True)),
        ("organisation", "language", pw.CharField(max_length=16, default="en")),
        ("signature", "language", pw.CharField(max_length=16, default="en")),
        ("outbox_message", "language", pw.CharField(max_length=16, default="en")),
    )
    for table, column, field in wanted:
        if column not in present[table]:
            operations.append(migrator.add_column(table, column, field))
    with database.atomic():
        if operations:
            migrate(*operations)
        database.execute_sql("UPDATE petition SET language = 'nb' WHERE language IN ('no', 'nn', 'no-NO', 'nb-NO')")
        if "language" not in present["signature"]:
            # signatures made before: their mails follow the petition's language (mail falls back to the
            # default language for a petition language the interface does not have)
            database.execute_sql("UPDATE signature SET language = COALESCE((SELECT p.language FROM petition p "
                                 "WHERE p.id = signature.petition_id), 'en')")
