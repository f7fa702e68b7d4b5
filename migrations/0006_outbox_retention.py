"""An index for the mail_retention job, which deletes delivered mail by the time it was sent.

Frozen: the schema as it was when this migration was written (see README, "Writing a migration").
"""
from migrations.ddl import execute

STATEMENTS = [
    'CREATE INDEX IF NOT EXISTS "outboxmessage_status_sent_at" ON "outbox_message" ("status", "sent_at")',
]


def up(database):
    execute(database, STATEMENTS)
