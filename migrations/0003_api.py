"""The API's rate-limit windows (counted in the database so every process shares them).

Dropped again by 0013 (the limiter moved to memory or Redis); the table is declared here as it
was, so this migration does not depend on today's models."""
import peewee as pw


def up(database):
    class ApiRateWindow(pw.Model):
        bucket = pw.CharField(max_length=64)
        window = pw.CharField(max_length=8)
        started = pw.BigIntegerField()
        hits = pw.IntegerField(default=0)

        class Meta:
            table_name = "api_rate_window"
            primary_key = pw.CompositeKey("bucket", "window", "started")

    with database.bind_ctx([ApiRateWindow]):
        database.create_tables([ApiRateWindow], safe=True)
