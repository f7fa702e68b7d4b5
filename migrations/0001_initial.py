"""The first schema: organisations, users, petitions, signatures, responses, audit, outbox, API keys.

Frozen: the schema as it was when this migration was written (see README, "Writing a migration").
"""
from migrations.ddl import execute

STATEMENTS = [
    ('CREATE TABLE IF NOT EXISTS "user" ('
     '"id" {pk}, '
     '"email" VARCHAR(255) NOT NULL, '
     '"name" VARCHAR(255) NOT NULL, '
     '"password_hash" VARCHAR(255), '
     '"is_admin" {bool} NOT NULL, '
     '"is_moderator" {bool} NOT NULL, '
     '"email_confirmed_at" {datetime}, '
     '"session_generation" INTEGER NOT NULL, '
     '"created_at" {datetime} NOT NULL)'),
    'CREATE UNIQUE INDEX IF NOT EXISTS "user_email" ON "user" ("email")',
    ('CREATE TABLE IF NOT EXISTS "organisation" ('
     '"id" {pk}, '
     '"name" VARCHAR(255) NOT NULL, '
     '"slug" VARCHAR(80) NOT NULL, '
     '"kind" VARCHAR(32) NOT NULL, '
     '"contact_email" VARCHAR(255), '
     '"description" TEXT NOT NULL, '
     '"answer_period_days" INTEGER NOT NULL, '
     '"signature_threshold" INTEGER NOT NULL, '
     '"created_at" {datetime} NOT NULL)'),
    'CREATE UNIQUE INDEX IF NOT EXISTS "organisation_slug" ON "organisation" ("slug")',
    ('CREATE TABLE IF NOT EXISTS "api_key" ('
     '"id" {pk}, '
     '"user_id" INTEGER NOT NULL, '
     '"name" VARCHAR(100) NOT NULL, '
     '"prefix" VARCHAR(16) NOT NULL, '
     '"secret_hash" VARCHAR(64) NOT NULL, '
     '"scopes" VARCHAR(64) NOT NULL, '
     '"organisation_id" INTEGER, '
     '"is_test" {bool} NOT NULL, '
     '"created_at" {datetime} NOT NULL, '
     '"last_used_at" {datetime}, '
     '"revoked_at" {datetime}, '
     'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE, '
     'FOREIGN KEY ("organisation_id") REFERENCES "organisation" ("id") ON DELETE CASCADE)'),
    'CREATE INDEX IF NOT EXISTS "api_key_user_id" ON "api_key" ("user_id")',
    'CREATE INDEX IF NOT EXISTS "api_key_prefix" ON "api_key" ("prefix")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "api_key_secret_hash" ON "api_key" ("secret_hash")',
    'CREATE INDEX IF NOT EXISTS "api_key_organisation_id" ON "api_key" ("organisation_id")',
    ('CREATE TABLE IF NOT EXISTS "audit_event" ('
     '"id" {pk}, '
     '"petition_id" INTEGER, '
     '"created_at" {datetime} NOT NULL, '
     '"actor_kind" VARCHAR(16) NOT NULL, '
     '"actor_id" INTEGER, '
     '"actor_label" VARCHAR(255) NOT NULL, '
     '"channel" VARCHAR(8) NOT NULL, '
     '"action" VARCHAR(32) NOT NULL, '
     '"field" VARCHAR(64), '
     '"old_value" TEXT, '
     '"new_value" TEXT, '
     '"note" TEXT)'),
    'CREATE INDEX IF NOT EXISTS "audit_event_petition_id" ON "audit_event" ("petition_id")',
    'CREATE INDEX IF NOT EXISTS "audit_event_created_at" ON "audit_event" ("created_at")',
    'CREATE INDEX IF NOT EXISTS "audit_event_petition_id_created_at" ON "audit_event" ("petition_id", "created_at")',
    ('CREATE TABLE IF NOT EXISTS "membership" ('
     '"id" {pk}, '
     '"user_id" INTEGER NOT NULL, '
     '"organisation_id" INTEGER NOT NULL, '
     '"role" VARCHAR(16) NOT NULL, '
     '"created_at" {datetime} NOT NULL, '
     'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE, '
     'FOREIGN KEY ("organisation_id") REFERENCES "organisation" ("id") ON DELETE CASCADE)'),
    'CREATE INDEX IF NOT EXISTS "membership_user_id" ON "membership" ("user_id")',
    'CREATE INDEX IF NOT EXISTS "membership_organisation_id" ON "membership" ("organisation_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "membership_user_id_organisation_id" ON "membership" ("user_id", "organisation_id")',
    ('CREATE TABLE IF NOT EXISTS "outbox_message" ('
     '"id" {pk}, '
     '"to_address" VARCHAR(255) NOT NULL, '
     '"subject" VARCHAR(255) NOT NULL, '
     '"body" TEXT NOT NULL, '
     '"kind" VARCHAR(48) NOT NULL, '
     '"dedupe_key" VARCHAR(191), '
     '"status" VARCHAR(12) NOT NULL, '
     '"attempts" INTEGER NOT NULL, '
     '"next_attempt_at" {datetime} NOT NULL, '
     '"last_error" TEXT, '
     '"created_at" {datetime} NOT NULL, '
     '"claimed_at" {datetime}, '
     '"sent_at" {datetime})'),
    'CREATE INDEX IF NOT EXISTS "outbox_message_kind" ON "outbox_message" ("kind")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "outbox_message_dedupe_key" ON "outbox_message" ("dedupe_key")',
    'CREATE INDEX IF NOT EXISTS "outbox_message_status" ON "outbox_message" ("status")',
    'CREATE INDEX IF NOT EXISTS "outbox_message_next_attempt_at" ON "outbox_message" ("next_attempt_at")',
    ('CREATE TABLE IF NOT EXISTS "petition" ('
     '"id" {pk}, '
     '"slug" VARCHAR(100) NOT NULL, '
     '"title" VARCHAR(255) NOT NULL, '
     '"description" TEXT NOT NULL, '
     '"statement" TEXT NOT NULL, '
     '"request" TEXT NOT NULL, '
     '"organisation_id" INTEGER NOT NULL, '
     '"lead_petitioner_id" INTEGER NOT NULL, '
     '"status" VARCHAR(16) NOT NULL, '
     '"language" VARCHAR(8) NOT NULL, '
     '"created_at" {datetime} NOT NULL, '
     '"updated_at" {datetime} NOT NULL, '
     '"submitted_at" {datetime}, '
     '"opens_at" {datetime}, '
     '"closes_at" {datetime}, '
     '"closed_at" {datetime}, '
     '"date_projected" DATE, '
     '"reference_field" VARCHAR(256), '
     '"answer_due_date" DATE, '
     '"hidden" {bool} NOT NULL, '
     '"hidden_reason" TEXT, '
     '"api_enabled" {bool} NOT NULL, '
     '"allowed_domains" TEXT NOT NULL, '
     '"signature_count" INTEGER NOT NULL, '
     '"moderation_note" TEXT, '
     'FOREIGN KEY ("organisation_id") REFERENCES "organisation" ("id"), '
     'FOREIGN KEY ("lead_petitioner_id") REFERENCES "user" ("id"))'),
    'CREATE UNIQUE INDEX IF NOT EXISTS "petition_slug" ON "petition" ("slug")',
    'CREATE INDEX IF NOT EXISTS "petition_organisation_id" ON "petition" ("organisation_id")',
    'CREATE INDEX IF NOT EXISTS "petition_lead_petitioner_id" ON "petition" ("lead_petitioner_id")',
    'CREATE INDEX IF NOT EXISTS "petition_status" ON "petition" ("status")',
    'CREATE INDEX IF NOT EXISTS "petition_created_at" ON "petition" ("created_at")',
    'CREATE INDEX IF NOT EXISTS "petition_closes_at" ON "petition" ("closes_at")',
    'CREATE INDEX IF NOT EXISTS "petition_hidden" ON "petition" ("hidden")',
    ('CREATE TABLE IF NOT EXISTS "response" ('
     '"id" {pk}, '
     '"organisation_id" INTEGER NOT NULL, '
     '"title" VARCHAR(255) NOT NULL, '
     '"body" TEXT NOT NULL, '
     '"created_by_id" INTEGER, '
     '"created_at" {datetime} NOT NULL, '
     '"published_at" {datetime}, '
     '"notices_state" VARCHAR(12) NOT NULL, '
     '"notices_cursor" INTEGER NOT NULL, '
     'FOREIGN KEY ("organisation_id") REFERENCES "organisation" ("id"), '
     'FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)'),
    'CREATE INDEX IF NOT EXISTS "response_organisation_id" ON "response" ("organisation_id")',
    'CREATE INDEX IF NOT EXISTS "response_created_by_id" ON "response" ("created_by_id")',
    'CREATE INDEX IF NOT EXISTS "response_published_at" ON "response" ("published_at")',
    ('CREATE TABLE IF NOT EXISTS "response_petition" ('
     '"id" {pk}, '
     '"response_id" INTEGER NOT NULL, '
     '"petition_id" INTEGER NOT NULL, '
     'FOREIGN KEY ("response_id") REFERENCES "response" ("id") ON DELETE CASCADE, '
     'FOREIGN KEY ("petition_id") REFERENCES "petition" ("id") ON DELETE CASCADE)'),
    'CREATE INDEX IF NOT EXISTS "response_petition_response_id" ON "response_petition" ("response_id")',
    'CREATE INDEX IF NOT EXISTS "response_petition_petition_id" ON "response_petition" ("petition_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "response_petition_response_id_petition_id" ON "response_petition" ("response_id", "petition_id")',
    ('CREATE TABLE IF NOT EXISTS "signature" ('
     '"id" {pk}, '
     '"petition_id" INTEGER NOT NULL, '
     '"full_name" VARCHAR(255) NOT NULL, '
     '"email" VARCHAR(255) NOT NULL, '
     '"city" VARCHAR(255), '
     '"postal_code" VARCHAR(32), '
     '"state" VARCHAR(64), '
     '"country" VARCHAR(64), '
     '"show_name" {bool} NOT NULL, '
     '"comment" TEXT, '
     '"wants_notice" {bool} NOT NULL, '
     '"created_at" {datetime} NOT NULL, '
     '"confirmed_at" {datetime}, '
     '"token_hash" VARCHAR(64), '
     '"token_created_at" {datetime}, '
     '"source" VARCHAR(24) NOT NULL, '
     '"api_key_id" INTEGER, '
     '"origin" VARCHAR(255), '
     '"reminder_sent_at" {datetime}, '
     'FOREIGN KEY ("petition_id") REFERENCES "petition" ("id") ON DELETE CASCADE, '
     'FOREIGN KEY ("api_key_id") REFERENCES "api_key" ("id") ON DELETE SET NULL)'),
    'CREATE INDEX IF NOT EXISTS "signature_petition_id" ON "signature" ("petition_id")',
    'CREATE INDEX IF NOT EXISTS "signature_created_at" ON "signature" ("created_at")',
    'CREATE INDEX IF NOT EXISTS "signature_confirmed_at" ON "signature" ("confirmed_at")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "signature_token_hash" ON "signature" ("token_hash")',
    'CREATE INDEX IF NOT EXISTS "signature_api_key_id" ON "signature" ("api_key_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "signature_petition_id_email" ON "signature" ("petition_id", "email")',
    'CREATE INDEX IF NOT EXISTS "signature_petition_id_confirmed_at" ON "signature" ("petition_id", "confirmed_at")',
]


def up(database):
    execute(database, STATEMENTS)
