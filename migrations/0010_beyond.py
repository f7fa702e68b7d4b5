"""Issue 14: webhook endpoints, their event outbox, deliveries and attempts; the threshold milestone.

Frozen DDL for both engines (never the models' create_tables): this file must keep producing the
same schema whatever models/ later becomes.
"""

SERIAL = {"sqlite": "INTEGER NOT NULL PRIMARY KEY", "postgres": "SERIAL NOT NULL PRIMARY KEY"}
TIMESTAMP = {"sqlite": "DATETIME", "postgres": "TIMESTAMP"}


def _statements(kind):
    pk, ts = SERIAL[kind], TIMESTAMP[kind]
    return [
        f'''CREATE TABLE IF NOT EXISTS "webhook_endpoint" (
            "id" {pk},
            "organisation_id" INTEGER NOT NULL REFERENCES "organisation" ("id") ON DELETE CASCADE,
            "url" VARCHAR(2000) NOT NULL,
            "description" VARCHAR(255) NOT NULL,
            "secret" VARCHAR(128) NOT NULL,
            "events" TEXT NOT NULL,
            "created_by" VARCHAR(255) NOT NULL,
            "owner_user_id" INTEGER REFERENCES "user" ("id") ON DELETE SET NULL,
            "created_at" {ts} NOT NULL,
            "failure_count" INTEGER NOT NULL,
            "last_success_at" {ts},
            "disabled_at" {ts},
            "disabled_reason" TEXT,
            "deleted_at" {ts})''',
        'CREATE INDEX IF NOT EXISTS "webhookendpoint_organisation_id" ON "webhook_endpoint" ("organisation_id")',
        'CREATE INDEX IF NOT EXISTS "webhookendpoint_owner_user_id" ON "webhook_endpoint" ("owner_user_id")',
        f'''CREATE TABLE IF NOT EXISTS "webhook_event" (
            "id" {pk},
            "message_id" VARCHAR(64) NOT NULL,
            "organisation_id" INTEGER NOT NULL REFERENCES "organisation" ("id") ON DELETE CASCADE,
            "petition_id" INTEGER,
            "event_type" VARCHAR(64) NOT NULL,
            "payload" TEXT NOT NULL,
            "created_at" {ts} NOT NULL)''',
        'CREATE UNIQUE INDEX IF NOT EXISTS "webhookevent_message_id" ON "webhook_event" ("message_id")',
        'CREATE INDEX IF NOT EXISTS "webhookevent_organisation_id" ON "webhook_event" ("organisation_id")',
        f'''CREATE TABLE IF NOT EXISTS "webhook_delivery" (
            "id" {pk},
            "event_id" INTEGER NOT NULL REFERENCES "webhook_event" ("id") ON DELETE CASCADE,
            "endpoint_id" INTEGER NOT NULL REFERENCES "webhook_endpoint" ("id") ON DELETE CASCADE,
            "status" VARCHAR(12) NOT NULL,
            "attempts" INTEGER NOT NULL,
            "next_attempt_at" {ts} NOT NULL,
            "claimed_at" {ts},
            "delivered_at" {ts},
            "last_status_code" INTEGER,
            "last_error" TEXT,
            "created_at" {ts} NOT NULL)''',
        'CREATE UNIQUE INDEX IF NOT EXISTS "webhookdelivery_event_id_endpoint_id" '
        'ON "webhook_delivery" ("event_id", "endpoint_id")',
        'CREATE INDEX IF NOT EXISTS "webhookdelivery_event_id" ON "webhook_delivery" ("event_id")',
        'CREATE INDEX IF NOT EXISTS "webhookdelivery_endpoint_id" ON "webhook_delivery" ("endpoint_id")',
        'CREATE INDEX IF NOT EXISTS "webhookdelivery_status_next_attempt_at" '
        'ON "webhook_delivery" ("status", "next_attempt_at")',
        f'''CREATE TABLE IF NOT EXISTS "webhook_attempt" (
            "id" {pk},
            "delivery_id" INTEGER NOT NULL REFERENCES "webhook_delivery" ("id") ON DELETE CASCADE,
            "attempted_at" {ts} NOT NULL,
            "status_code" INTEGER,
            "error" TEXT,
            "duration_ms" INTEGER NOT NULL)''',
        'CREATE INDEX IF NOT EXISTS "webhookattempt_delivery_id" ON "webhook_attempt" ("delivery_id")',
    ]


def up(database):
    import peewee as pw

    kind = "postgres" if isinstance(database, pw.PostgresqlDatabase) else "sqlite"
    for statement in _statements(kind):
        database.execute_sql(statement)
    # (today's 0001 still builds "petition" from the model, which has the column already)
    if "threshold_reached_at" not in [c.name for c in database.get_columns("petition")]:
        database.execute_sql(f'ALTER TABLE "petition" ADD COLUMN "threshold_reached_at" {TIMESTAMP[kind]}')
