"""The database: one proxy bound at start-up to SQLite (default) or pooled PostgreSQL.

peewee keeps one connection per thread. Handlers are synchronous and open/close their
connection around each request; threads (jobs, tests) use `db.connection_context()`.
"""
import datetime as dt
import importlib
import io
import pkgutil
from urllib.parse import unquote, urlparse

import peewee as pw
from playhouse.pool import PooledPostgresqlDatabase

db = pw.DatabaseProxy()


class BaseModel(pw.Model):
    """Every model refuses text longer than its column before writing it: PostgreSQL raises on a
    VARCHAR overflow (a 500) where SQLite silently stores it. Domain validation should name the
    limit first; this is the net under it, the same 422 on both backends."""

    class Meta:
        database = db
        legacy_table_names = False

    @classmethod
    def insert(cls, values=None, /, **insert):
        _check_lengths(cls, values, insert)
        return super().insert(values, **insert)

    @classmethod
    def update(cls, values=None, /, **update):
        _check_lengths(cls, values, update)
        return super().update(values, **update)


def _check_lengths(model, *mappings):
    from models.errors import InvalidInput

    errors = {}
    for mapping in mappings:
        for key, value in (mapping or {}).items():
            field = key if isinstance(key, pw.Field) else model._meta.fields.get(key)
            if (isinstance(field, pw.CharField) and isinstance(value, str) and field.max_length
                    and len(value) > field.max_length):
                errors[field.name] = f"Use at most {field.max_length} characters (this has {len(value)})."
    if errors:
        raise InvalidInput(errors)


def insert_rows(model, rows, returning=()):
    """One multi-row INSERT of `rows` (dicts with the same keys: field names) built directly, without
    peewee's per-value query building (the intake writer's hot path); returns the `returning`
    columns' values as tuples. Values go through each field's db_value(), as peewee would. On
    PostgreSQL the rows go in with COPY (see _copy_rows)."""
    names = list(rows[0])
    # the fields' Python defaults, as peewee's insert() fills them in
    defaults = {name: field.default for name, field in model._meta.fields.items()
                if name not in names and field.default is not None}
    if defaults:
        rows = [{**row, **{k: v() if callable(v) else v for k, v in defaults.items()}} for row in rows]
        names += list(defaults)
    fields = [model._meta.fields[name] for name in names]
    params = [None if row[name] is None else field.db_value(row[name])  # most optional fields are empty
              for row in rows for name, field in zip(names, fields)]
    if is_postgres() and set(returning) <= {"id", *names}:
        lines = _copy_lines(params, len(fields))
        if lines is not None:
            return _copy_rows(model, fields, params, lines, returning)
    placeholder = "(" + ", ".join([db.obj.param] * len(fields)) + ")"
    sql = (f'INSERT INTO "{model._meta.table_name}" ({", ".join(chr(34) + f.column_name + chr(34) for f in fields)}) '
           f'VALUES {", ".join([placeholder] * len(rows))}')
    if returning:
        sql += " RETURNING " + ", ".join(f'"{model._meta.fields[name].column_name}"' for name in returning)
    cursor = db.execute_sql(sql, params)
    return cursor.fetchall() if returning else None


def _copy_text(value):
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


# COPY's text format of each type a value may have after db_value(); anything else goes by INSERT.
# An aware datetime too (None here): psycopg2 sends it with its offset, which PostgreSQL converts.
_COPY_TEXT = {str: _copy_text, int: str, bool: lambda value: "t" if value else "f",
              dt.datetime: lambda value: value.isoformat() if value.tzinfo is None else None,
              dt.date: dt.date.isoformat, type(None): lambda value: "\\N"}


def _copy_lines(params, width):
    """Each row's line in COPY's text format, or None when a value has no place in it."""
    lines = []
    for start in range(0, len(params), width):
        texts = []
        for value in params[start:start + width]:
            to_text = _COPY_TEXT.get(type(value))
            text = to_text(value) if to_text is not None else None
            if text is None:
                return None
            texts.append(text)
        lines.append(texts)
    return lines


def _copy_rows(model, fields, params, lines, returning):
    """insert_rows() on PostgreSQL: COPY FROM STDIN, which PostgreSQL takes for about two thirds of
    a multi-row INSERT's work (no statement the size of the batch to parse), and which spares
    psycopg2 quoting each value. COPY returns nothing, so ids asked for are drawn from the table's
    sequence first, as the INSERT would have drawn them."""
    cursor = db.cursor()
    table = model._meta.table_name
    columns = [field.column_name for field in fields]
    ids = None
    if "id" in returning and "id" not in [field.name for field in fields]:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       (f'"{table}"', len(lines)))
        ids = [row[0] for row in cursor.fetchall()]
        columns.insert(0, model._meta.primary_key.column_name)
        lines = [[str(ids[n])] + texts for n, texts in enumerate(lines)]
    data = "".join("\t".join(texts) + "\n" for texts in lines)
    cursor.copy_expert(f'COPY "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) FROM STDIN',
                       io.StringIO(data))
    if not returning:
        return None
    names = [field.name for field in fields]
    width = len(fields)
    positions = [names.index(name) if name in names else None for name in returning]
    return [tuple(ids[n] if position is None else params[n * width + position] for position in positions)
            for n in range(len(lines))]


def make_database(url: str):
    """Build (not connect) a database from PORTAL_DATABASE_URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if path.startswith("/") and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            path = path[1:]  # sqlite:///data/portal.db is relative; sqlite:////abs is absolute
        # Write transactions BEGIN IMMEDIATE: a writer takes the lock up front and waits for it
        # (busy_timeout) instead of failing with "database is locked" when it upgrades a read.
        return pw.SqliteDatabase(
            path or ":memory:",
            pragmas={"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000, "synchronous": "normal"},
            timeout=30,
            lock_type="IMMEDIATE",
        )
    if parsed.scheme in ("postgres", "postgresql"):
        return PooledPostgresqlDatabase(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            max_connections=32,
            stale_timeout=300,
            timeout=10,
        )
    raise ValueError(f"PORTAL_DATABASE_URL must start with sqlite:/// or postgresql://, not {parsed.scheme!r}")


def bind(url: str):
    """Bind the proxy to the database named by url and return it."""
    database = make_database(url)
    if isinstance(database, pw.SqliteDatabase):
        path = database.database
        if path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
    db.initialize(database)
    return database


def is_postgres() -> bool:
    return isinstance(db.obj, pw.PostgresqlDatabase)


# ---- versioned migrations -------------------------------------------------------------------
# Each module in migrations/ is named NNNN_description.py and defines up(database). The numbers
# applied are kept in schema_migration; `portal.py migrate` applies the missing ones in order.


class SchemaMigration(BaseModel):
    version = pw.CharField(primary_key=True, max_length=64)
    applied_at = pw.DateTimeField()


def _migration_modules():
    import migrations

    names = sorted(m.name for m in pkgutil.iter_modules(migrations.__path__) if m.name[:4].isdigit())
    return [(name, importlib.import_module(f"migrations.{name}")) for name in names]


def migrate(verbose=False):
    """Apply every migration not applied yet. Safe to run again (and from several processes)."""
    from models import clock

    applied = []
    with db.connection_context():
        # The bookkeeping table, frozen like the migrations (migrations/ddl.py).
        from migrations.ddl import execute

        execute(db.obj, ['CREATE TABLE IF NOT EXISTS "schema_migration" ('
                         '"version" VARCHAR(64) NOT NULL PRIMARY KEY, "applied_at" {datetime} NOT NULL)'])
        done = {row.version for row in SchemaMigration.select()}
        for name, module in _migration_modules():
            if name in done:
                continue
            with db.atomic():
                if is_postgres():
                    # Serialise concurrent `migrate` runs of several processes.
                    db.execute_sql("SELECT pg_advisory_xact_lock(4242001)")
                    if SchemaMigration.select().where(SchemaMigration.version == name).exists():
                        continue
                module.up(db.obj)
                SchemaMigration.create(version=name, applied_at=clock.now())
            applied.append(name)
            if verbose:
                print(f"applied {name}")
    return applied


def pending_migrations():
    """Names of migrations not applied yet (an empty list when the schema is current)."""
    if not db.table_exists("schema_migration"):
        return [name for name, _ in _migration_modules()]
    done = {row.version for row in SchemaMigration.select()}
    return [name for name, _ in _migration_modules() if name not in done]
