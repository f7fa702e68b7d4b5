"""Scheduled jobs: runs, locks, chase records, reminders sent; an index for walking signers by id.

Frozen: the schema as it was when this migration was written (see README, "Writing a migration").
"""
from migrations.ddl import execute

STATEMENTS = [
    ('CREATE TABLE IF NOT EXISTS "chase_record" ('
     '"id" {pk}, '
     '"petition_id" INTEGER NOT NULL, '
     '"number" INTEGER NOT NULL, '
     '"sent_at" {datetime} NOT NULL, '
     '"recipients" INTEGER NOT NULL)'),
    'CREATE INDEX IF NOT EXISTS "chase_record_petition_id" ON "chase_record" ("petition_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "chase_record_petition_id_number" ON "chase_record" ("petition_id", "number")',
    ('CREATE TABLE IF NOT EXISTS "job_lock" ('
     '"name" VARCHAR(64) NOT NULL PRIMARY KEY, '
     '"holder" VARCHAR(128), '
     '"acquired_at" {datetime}, '
     '"lease_until" {datetime})'),
    ('CREATE TABLE IF NOT EXISTS "job_run" ('
     '"id" {pk}, '
     '"job" VARCHAR(64) NOT NULL, '
     '"trigger" VARCHAR(16) NOT NULL, '
     '"worker" VARCHAR(128) NOT NULL, '
     '"started_at" {datetime} NOT NULL, '
     '"finished_at" {datetime}, '
     '"as_of" {datetime}, '
     '"outcome" VARCHAR(12) NOT NULL, '
     '"counts" TEXT NOT NULL, '
     '"error" TEXT)'),
    'CREATE INDEX IF NOT EXISTS "job_run_job" ON "job_run" ("job")',
    'CREATE INDEX IF NOT EXISTS "job_run_started_at" ON "job_run" ("started_at")',
    'CREATE INDEX IF NOT EXISTS "job_run_outcome" ON "job_run" ("outcome")',
    ('CREATE TABLE IF NOT EXISTS "reminder_sent" ('
     '"id" {pk}, '
     '"petition_id" INTEGER NOT NULL, '
     '"kind" VARCHAR(24) NOT NULL, '
     '"due_date" DATE NOT NULL, '
     '"sent_at" {datetime} NOT NULL)'),
    'CREATE INDEX IF NOT EXISTS "reminder_sent_petition_id" ON "reminder_sent" ("petition_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "reminder_sent_petition_id_kind_due_date" ON "reminder_sent" ("petition_id", "kind", "due_date")',
    # Response notices walk one petition's signers in id order (keyset pagination): this index makes
    # each batch a range scan on both engines, however many signers there are.
    'CREATE INDEX IF NOT EXISTS "signature_petition_walk" ON "signature" ("petition_id", "id")',
]


def up(database):
    execute(database, STATEMENTS)
