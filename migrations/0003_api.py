"""The API's rate-limit windows (counted in the database so every process shares them).

Frozen: the schema as it was when this migration was written (see README, "Writing a migration").
"""
from migrations.ddl import execute

STATEMENTS = [
    ('CREATE TABLE IF NOT EXISTS "api_rate_window" ('
     '"bucket" VARCHAR(64) NOT NULL, '
     '"window" VARCHAR(8) NOT NULL, '
     '"started" {bigint} NOT NULL, '
     '"hits" INTEGER NOT NULL, '
     'PRIMARY KEY ("bucket", "window", "started"))'),
]


def up(database):
    execute(database, STATEMENTS)
