"""Security and privacy (issue 13): server-side sessions, partner keys, deleted accounts and
anonymised signatures. Frozen: the table is declared here, the columns are playhouse.migrate steps."""
import peewee as pw
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate


def up(database):
    class User(pw.Model):
        class Meta:
            table_name = "user"

    class UserSession(pw.Model):
        user = pw.ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
        secret_hash = pw.CharField(max_length=64, unique=True)
        generation = pw.IntegerField()
        created_at = pw.DateTimeField()
        last_seen_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "user_session"

    with database.bind_ctx([User, UserSession]):
        database.create_tables([UserSession], safe=True)

    migrator = PostgresqlMigrator(database) if isinstance(database, pw.PostgresqlDatabase) else SqliteMigrator(database)
    columns = [("api_key", "is_partner", pw.BooleanField(default=False)),
               ("user", "deleted_at", pw.DateTimeField(null=True)),
               ("signature", "anonymised_at", pw.DateTimeField(null=True))]
    # (an unfrozen 0001 that creates today's models has these already)
    migrate(*[migrator.add_column(table, name, field) for table, name, field in columns
              if name not in {column.name for column in database.get_columns(table)}])
