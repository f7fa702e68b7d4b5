"""Frozen helpers for migrations written as DDL. FROZEN: migrations already applied on real
databases depend on what these produce; never change an entry, add a new name instead.

A statement names the few types that differ between the engines as placeholders:

    {pk}        INTEGER NOT NULL PRIMARY KEY    |  SERIAL NOT NULL PRIMARY KEY
    {bigpk}     INTEGER NOT NULL PRIMARY KEY    |  BIGSERIAL NOT NULL PRIMARY KEY
    {bool}      INTEGER                         |  BOOLEAN
    {datetime}  DATETIME                        |  TIMESTAMP
    {bigint}    INTEGER                         |  BIGINT
    {float}     REAL                            |  REAL
    {double}    REAL                            |  DOUBLE PRECISION
    {blob}      BLOB                            |  BYTEA

(what peewee's field types produce on SQLite and PostgreSQL). Everything else (VARCHAR(n), TEXT,
INTEGER, DATE) is spelled the same on both.
"""
import peewee as pw

TYPES = {
    "sqlite": {"pk": "INTEGER NOT NULL PRIMARY KEY", "bigpk": "INTEGER NOT NULL PRIMARY KEY", "bool": "INTEGER",
               "datetime": "DATETIME", "bigint": "INTEGER", "float": "REAL", "double": "REAL", "blob": "BLOB"},
    "postgres": {"pk": "SERIAL NOT NULL PRIMARY KEY", "bigpk": "BIGSERIAL NOT NULL PRIMARY KEY", "bool": "BOOLEAN",
                 "datetime": "TIMESTAMP", "bigint": "BIGINT", "float": "REAL", "double": "DOUBLE PRECISION",
                 "blob": "BYTEA"},
}


def engine(database):
    """'postgres' or 'sqlite': for a migration whose statements differ beyond the placeholders."""
    return "postgres" if isinstance(database, pw.PostgresqlDatabase) else "sqlite"


def render(database, statement):
    return statement.format(**TYPES[engine(database)])


def execute(database, statements):
    """Run each statement (a string with the placeholders above) in order."""
    for statement in statements:
        database.execute_sql(render(database, statement))
