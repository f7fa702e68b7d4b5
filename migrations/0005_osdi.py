"""OSDI: foreign identifiers and origin systems of petitions and signatures (issue 6).

Frozen: the schema as it was when this migration was written (see README, "Writing a migration").
"""
from migrations.ddl import execute

STATEMENTS = [
    ('CREATE TABLE IF NOT EXISTS "osdi_identifier" ('
     '"id" {pk}, '
     '"kind" VARCHAR(16) NOT NULL, '
     '"scope_id" INTEGER NOT NULL, '
     '"object_id" INTEGER NOT NULL, '
     '"identifier" VARCHAR(255) NOT NULL, '
     '"created_at" {datetime} NOT NULL)'),
    'CREATE UNIQUE INDEX IF NOT EXISTS "osdi_identifier_kind_scope_id_identifier" ON "osdi_identifier" ("kind", "scope_id", "identifier")',
    'CREATE INDEX IF NOT EXISTS "osdi_identifier_kind_object_id" ON "osdi_identifier" ("kind", "object_id")',
    ('CREATE TABLE IF NOT EXISTS "osdi_origin" ('
     '"id" {pk}, '
     '"kind" VARCHAR(16) NOT NULL, '
     '"object_id" INTEGER NOT NULL, '
     '"origin_system" VARCHAR(255), '
     '"referrer_data" TEXT, '
     '"created_at" {datetime} NOT NULL)'),
    'CREATE UNIQUE INDEX IF NOT EXISTS "osdi_origin_kind_object_id" ON "osdi_origin" ("kind", "object_id")',
]


def up(database):
    execute(database, STATEMENTS)
