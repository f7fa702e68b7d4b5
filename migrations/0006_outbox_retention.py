"""An index for the mail_retention job, which deletes delivered mail by the time it was sent."""


def up(database):
    database.execute_sql('CREATE INDEX IF NOT EXISTS "outboxmessage_status_sent_at" '
                         'ON "outbox_message" ("status", "sent_at")')
