"""Accounts: sign-in attempts (throttling), one-time account links, clerk invitations.

Frozen: the schema as it was when this migration was written (see README, "Writing a migration").
"""
from migrations.ddl import execute

STATEMENTS = [
    ('CREATE TABLE IF NOT EXISTS "account_token" ('
     '"id" {pk}, '
     '"user_id" INTEGER NOT NULL, '
     '"purpose" VARCHAR(16) NOT NULL, '
     '"token_hash" VARCHAR(64) NOT NULL, '
     '"created_at" {datetime} NOT NULL, '
     '"expires_at" {datetime} NOT NULL, '
     '"used_at" {datetime}, '
     'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)'),
    'CREATE INDEX IF NOT EXISTS "account_token_user_id" ON "account_token" ("user_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "account_token_token_hash" ON "account_token" ("token_hash")',
    ('CREATE TABLE IF NOT EXISTS "invitation" ('
     '"id" {pk}, '
     '"email" VARCHAR(255) NOT NULL, '
     '"organisation_id" INTEGER NOT NULL, '
     '"role" VARCHAR(16) NOT NULL, '
     '"invited_by_id" INTEGER, '
     '"token_hash" VARCHAR(64) NOT NULL, '
     '"created_at" {datetime} NOT NULL, '
     '"expires_at" {datetime} NOT NULL, '
     '"accepted_at" {datetime}, '
     'FOREIGN KEY ("organisation_id") REFERENCES "organisation" ("id") ON DELETE CASCADE, '
     'FOREIGN KEY ("invited_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)'),
    'CREATE INDEX IF NOT EXISTS "invitation_email" ON "invitation" ("email")',
    'CREATE INDEX IF NOT EXISTS "invitation_organisation_id" ON "invitation" ("organisation_id")',
    'CREATE INDEX IF NOT EXISTS "invitation_invited_by_id" ON "invitation" ("invited_by_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "invitation_token_hash" ON "invitation" ("token_hash")',
    ('CREATE TABLE IF NOT EXISTS "sign_in_attempt" ('
     '"id" {pk}, '
     '"account_key" VARCHAR(64) NOT NULL, '
     '"address" VARCHAR(64) NOT NULL, '
     '"succeeded" {bool} NOT NULL, '
     '"created_at" {datetime} NOT NULL)'),
    'CREATE INDEX IF NOT EXISTS "sign_in_attempt_account_key" ON "sign_in_attempt" ("account_key")',
    'CREATE INDEX IF NOT EXISTS "sign_in_attempt_address" ON "sign_in_attempt" ("address")',
    'CREATE INDEX IF NOT EXISTS "sign_in_attempt_created_at" ON "sign_in_attempt" ("created_at")',
]


def up(database):
    execute(database, STATEMENTS)
