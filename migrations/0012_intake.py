"""Intake (issue 10): confirmation mails are queued with their parameters and rendered when
delivered, so the outbox gets a nullable `params` text column."""


def up(database):
    # (until 0001 is frozen it creates today's outbox_message, which has the column already)
    if "params" not in {column.name for column in database.get_columns("outbox_message")}:
        database.execute_sql('ALTER TABLE "outbox_message" ADD COLUMN "params" TEXT')
