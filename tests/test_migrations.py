"""Migrations: frozen, in step with the models on both engines, and able to upgrade a database built
by the previous release (with data in it).

- Every migration is run on an empty database of each engine; the schema it builds is compared with
  the models (tests/support_schema.py says, one line per difference, what differs).
- The previous release's databases are SQL dumps in tests/fixtures/previous_release/ (made once with
  that release's migrations and data in every table, see make_dumps.py there): each is loaded,
  upgraded with `migrate()`, and its rows and its schema are checked.
"""
import contextlib
import datetime as dt
import re
import sqlite3
from pathlib import Path

import peewee as pw
import pytest

from models import clock
from models.db import _migration_modules, db, make_database, migrate, pending_migrations
from tests import conftest
from tests.support_schema import differences

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "previous_release"
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@contextlib.contextmanager
def bound_to_new_database(backend, tmp_path, load=None):
    """The models bound to a new, empty database of this engine (optionally filled by load(url)),
    then back to the test session's database."""
    pg_name = admin = None
    if backend == "postgres":
        admin = conftest._postgres_admin_url()
        pg_name, url = conftest._create_postgres_database(admin)
    else:
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    if load:
        load(url)
    previous = db.obj
    database = make_database(url)
    db.initialize(database)
    try:
        yield database
    finally:
        database.close()
        if hasattr(database, "close_all"):
            database.close_all()
        db.initialize(previous)
        if pg_name:
            conftest._drop_postgres_database(admin, pg_name)


def report(problems):
    return "the schema the migrations build differs from the models:\n  " + "\n  ".join(problems)


def test_all_migrations_on_an_empty_database_match_the_models(backend, tmp_path):
    with bound_to_new_database(backend, tmp_path) as database:
        applied = migrate()
        assert applied == [name for name, _ in _migration_modules()]
        with db.connection_context():
            problems = differences(database)
            assert not problems, report(problems)
            assert pending_migrations() == []
        assert migrate() == [], "a second migrate() must find nothing to do"


def test_the_comparison_names_what_differs(backend, tmp_path):
    """The comparison itself: a column, an index and a nullability the models do not have are named."""
    with bound_to_new_database(backend, tmp_path) as database:
        migrate()
        with db.connection_context():
            database.execute_sql('ALTER TABLE "organisation" ADD COLUMN "motto" VARCHAR(20)')
            database.execute_sql('CREATE INDEX "petition_title_extra" ON "petition" ("title")')
            database.execute_sql('DROP INDEX "user_email"')
            problems = "\n".join(differences(database))
    assert "table 'organisation': column 'motto' (" in problems
    assert "is in the database but not in the model" in problems
    assert "index 'petition_title_extra' on ['title'] is in the database but not in the model" in problems
    assert "table 'user': unique index on ['email'] is in the model but not in the database" in problems


def test_migrations_are_frozen():
    """A migration states its own schema: it never imports today's models (whose later changes would
    silently change what an old migration does on a new database)."""
    offenders = []
    for path in sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py")):
        text = path.read_text()
        if re.search(r"^\s*(from|import)\s+models\b", text, re.M):
            offenders.append(path.name)
    assert not offenders, (f"{', '.join(offenders)} import today's models from models/: write the DDL, "
                           "peewee migrator operations or model classes declared inside the migration "
                           "(README, 'Writing a migration')")


# ---- upgrading the previous release ---------------------------------------------------------------

def _load_sqlite_dump(url):
    path = url[len("sqlite:///"):]
    connection = sqlite3.connect(path)
    connection.executescript((FIXTURES / "sqlite.sql").read_text())
    connection.close()


def _load_postgres_dump(url):
    import psycopg2

    # pg_dump's psql meta-commands (\restrict) are not SQL.
    text = "\n".join(line for line in (FIXTURES / "postgres.sql").read_text().splitlines()
                     if not line.startswith("\\"))
    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(text)
    connection.close()


def _snapshot(database, columns_of=None):
    """Every row of every table, ordered by the primary key (or all columns)."""
    rows = {}
    for table in database.get_tables():
        if columns_of is not None and table not in columns_of:
            continue  # a table a later migration created
        columns = columns_of[table] if columns_of else [c.name for c in database.get_columns(table)]
        order = database.get_primary_keys(table) or columns
        quoted = ", ".join(f'"{c}"' for c in columns)
        cursor = database.execute_sql(f'SELECT {quoted} FROM "{table}" ORDER BY '
                                      + ", ".join(f'"{c}"' for c in order))
        rows[table] = (columns, cursor.fetchall())
    return rows


DROPPED = {"api_rate_window"}  # tables a later migration drops on purpose (0013: rate limits left the database)


def test_a_database_of_the_previous_release_upgrades_with_its_data(backend, tmp_path):
    load = _load_postgres_dump if backend == "postgres" else _load_sqlite_dump
    with bound_to_new_database(backend, tmp_path, load=load) as database:
        with db.connection_context():
            before = _snapshot(database)
            done_before = pending_migrations()
        assert before["signature"][1] and before["petition"][1] and before["audit_event"][1], "fixture is empty"
        assert "0001_initial" not in done_before and "0006_outbox_retention" not in done_before

        applied = migrate()
        assert applied == done_before  # exactly the migrations written since

        with db.connection_context():
            assert pending_migrations() == []
            after = _snapshot(database, columns_of={table: columns for table, (columns, _) in before.items()})
            for table, (columns, rows) in before.items():
                if table == "schema_migration":
                    continue
                if table in DROPPED:
                    assert table not in after, f"{table!r} should have been dropped"
                    continue
                assert after[table][1] == rows, f"rows of {table!r} changed in the upgrade"
            problems = differences(database)
            assert not problems, report(problems)

            # Today's code works on the upgraded data: sign in with a previous release's account,
            # sign one of its petitions.
            from models import account
            from models.petition import Petition
            from models.signature import Signature, submit
            from models.demo import PASSWORD

            user = account.authenticate("anna@demo.example", PASSWORD, "192.0.2.10")
            assert user.email == "anna@demo.example"
            petition = (Petition.select().where(Petition.status == "live", Petition.closes_at.is_null(False))
                        .order_by(Petition.id).first())
            clock.set_global(max(petition.opens_at, petition.closes_at - dt.timedelta(days=1)))
            result = submit(petition, full_name="After Upgrade", email="after.upgrade@example.net")
            assert result.created
            assert Signature.select().where(Signature.petition == petition).count() == 1 + sum(
                1 for row in before["signature"][1]
                if row[before["signature"][0].index("petition_id")] == petition.id)
