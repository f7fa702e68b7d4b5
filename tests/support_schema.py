"""Compare the schema the migrations built with the one the models describe.

`differences(database)` introspects a database with peewee (`get_tables`, `get_columns`,
`get_primary_keys`, `get_indexes`, `get_foreign_keys`) and lists, in plain words, every way it
differs from the models in models/ (every BaseModel subclass declared there): tables, columns,
types, nullability, database defaults, primary keys, indexes (by columns and uniqueness; names may
differ), and foreign keys with their ON DELETE rule. An empty list means they agree.
"""
import importlib
import pkgutil
import re

import peewee as pw

# Tables or columns a migration creates on purpose that no model maps (for example a full-text
# index's shadow tables). Add an entry with the reason; anything else unmapped is a difference.
UNMAPPED_TABLES = {}   # {"table": "reason"}
UNMAPPED_COLUMNS = {}  # {("table", "column"): "reason"}
UNMAPPED_INDEXES = {  # {("table", "index name"): "reason"}
    ("petition", "petition_fulltext"): "PostgreSQL only: the GIN full-text index over the expression "
                                       "models/search.py queries with raw SQL (migration 0009)",
}

_PG_TYPES = {
    "SERIAL": "integer", "BIGSERIAL": "bigint", "INTEGER": "integer", "INT": "integer", "BIGINT": "bigint",
    "SMALLINT": "smallint", "BOOLEAN": "boolean", "BOOL": "boolean", "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMPTZ": "timestamp with time zone", "DATE": "date", "TIME": "time without time zone", "TEXT": "text",
    "REAL": "real", "DOUBLE PRECISION": "double precision", "BYTEA": "bytea", "UUID": "uuid", "JSON": "json",
    "JSONB": "jsonb", "TSVECTOR": "tsvector", "NUMERIC": "numeric", "DECIMAL": "numeric",
}


def all_models():
    """Every model declared in models/ (importing each module of the package first)."""
    import models
    from models.db import BaseModel

    for info in pkgutil.iter_modules(models.__path__):
        importlib.import_module(f"models.{info.name}")
    found = {}

    def walk(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("models."):
                found.setdefault(sub._meta.table_name, sub)
            walk(sub)

    walk(BaseModel)
    return [found[name] for name in sorted(found)]


def is_postgres(database):
    return isinstance(database, pw.PostgresqlDatabase)


def _ddl_type(database, field):
    ctx = database.get_sql_context()
    return ctx.sql(field.ddl_datatype(ctx)).query()[0].strip()


def expected_type(database, field):
    """The column type as the engine reports it for this field."""
    ddl = _ddl_type(database, field).upper()
    if not is_postgres(database):
        return ddl
    match = re.fullmatch(r"([A-Z ]+?)\s*(\(.*\))?", ddl)
    base, size = match.group(1), match.group(2) or ""
    if base in ("VARCHAR", "CHARACTER VARYING"):
        return f"character varying{size}"
    if base in ("CHAR", "CHARACTER"):
        return f"character{size}"
    return _PG_TYPES.get(base, base.lower()) + (size if base in ("NUMERIC", "DECIMAL") else "")


def actual_type(database, column):
    if is_postgres(database):
        return column.full_type
    return (column.data_type or "").upper()


def _normalise_default(value):
    if value is None:
        return None
    text = str(value).strip()
    text = re.sub(r"::[a-z ]+(\(\d+(,\d+)?\))?(\[\])?", "", text)  # PostgreSQL's casts
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    text = text.lower()
    return {"true": "1", "false": "0"}.get(text, text)


def expected_default(field):
    """The database default a field declares with constraints=[SQL("DEFAULT ...")], or None
    (peewee's `default=` is applied by Python, not by the database)."""
    for constraint in field.constraints or ():
        if isinstance(constraint, pw.SQL) and constraint.sql.upper().startswith("DEFAULT "):
            return _normalise_default(constraint.sql[len("DEFAULT "):])
    return None


def _index_columns(database, index):
    columns = []
    for part in index._expressions:
        if isinstance(part, pw.Field):
            columns.append(part.column_name)
        else:
            ctx = database.get_sql_context()
            columns.append(ctx.sql(part).query()[0].strip('"'))
    return tuple(columns)


def expected_indexes(database, model):
    """(columns, unique) of each index the model declares, and the names of those it declares as raw
    SQL (`add_index(SQL("CREATE INDEX name ON ..."))`, e.g. an expression index), compared by name."""
    indexes, named = set(), set()
    for index in model._meta.fields_to_index():
        if isinstance(index, pw.SQL):
            found = re.search(r'INDEX\s+(?:IF NOT EXISTS\s+)?"?(\w+)"?', index.sql, re.I)
            if found:
                named.add(found.group(1))
            continue
        indexes.add((_index_columns(database, index), bool(index._unique)))
    return indexes, named


def _sqlite_virtual_tables(database):
    """SQLite virtual tables (full-text search) and their shadow tables: SQLite's, not ours to map."""
    if is_postgres(database):
        return set()
    names = {row[0] for row in database.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")}
    every = {row[0] for row in database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return names | {table for table in every for name in names if table.startswith(name + "_")}


def _on_delete(value):
    value = (value or "").upper()
    return "NO ACTION" if value in ("", "RESTRICT NO ACTION") else value


def differences(database):
    """Every difference between the database's schema and the models, one sentence each."""
    problems = []
    models = all_models()
    virtual = _sqlite_virtual_tables(database)
    tables = set(database.get_tables()) - virtual
    by_table = {model._meta.table_name: model for model in models}

    for name in sorted(set(by_table) - tables - virtual):
        problems.append(f"table {name!r} (model {by_table[name].__name__}) is not in the database: "
                        "add a migration that creates it")
    for name in sorted(tables - set(by_table)):
        if name.startswith("sqlite_") or name in UNMAPPED_TABLES:
            continue
        problems.append(f"table {name!r} is in the database but no model in models/ maps it")

    for name in sorted(set(by_table) & tables):
        problems.extend(f"table {name!r}: {text}" for text in _table_differences(database, by_table[name]))
    return problems


def _table_differences(database, model):
    table = model._meta.table_name
    out = []
    columns = {column.name: column for column in database.get_columns(table)}
    fields = {field.column_name: field for field in model._meta.sorted_fields}

    for name in fields.keys() - columns.keys():
        out.append(f"column {name!r} ({model.__name__}.{fields[name].name}, {_ddl_type(database, fields[name])}) "
                   "is in the model but not in the database")
    for name in columns.keys() - fields.keys():
        if (table, name) not in UNMAPPED_COLUMNS:
            out.append(f"column {name!r} ({columns[name].data_type}) is in the database but not in the model")

    for name in sorted(fields.keys() & columns.keys()):
        field, column = fields[name], columns[name]
        want, have = expected_type(database, field), actual_type(database, column)
        if want != have:
            out.append(f"column {name!r}: type is {have} in the database, the model says {want}")
        want_null = bool(field.null) and not field.primary_key
        if want_null != bool(column.null):
            out.append(f"column {name!r}: the database says {'NULL' if column.null else 'NOT NULL'}, "
                       f"the model says {'NULL' if want_null else 'NOT NULL'}")
        have_default = _normalise_default(column.default)
        if isinstance(field, pw.AutoField) and have_default and have_default.startswith("nextval("):
            have_default = None
        if expected_default(field) != have_default:
            out.append(f"column {name!r}: database default is {column.default!r}, "
                       f"the model declares {expected_default(field)!r}")

    pk = model._meta.primary_key
    want_pk = ([model._meta.fields[n].column_name for n in pk.field_names] if isinstance(pk, pw.CompositeKey)
               else [pk.column_name] if pk else [])
    have_pk = list(database.get_primary_keys(table))
    if sorted(want_pk) != sorted(have_pk):
        out.append(f"primary key is {have_pk} in the database, the model says {want_pk}")

    want_indexes, named = expected_indexes(database, model)
    have_indexes = {}
    for index in database.get_indexes(table):
        key = (tuple(index.columns), bool(index.unique))
        if index.unique and sorted(index.columns) == sorted(have_pk):
            continue  # the primary key's own index
        if index.name in named:
            named.discard(index.name)
            continue
        if (table, index.name) in UNMAPPED_INDEXES:
            continue
        have_indexes[key] = index.name
    for columns_, unique in sorted(want_indexes - have_indexes.keys()):
        out.append(f"{'unique ' if unique else ''}index on {list(columns_)} is in the model but not in the database")
    for key in sorted(have_indexes.keys() - want_indexes):
        out.append(f"{'unique ' if key[1] else ''}index {have_indexes[key]!r} on {list(key[0])} is in the database "
                   "but not in the model (declare it in the model's Meta.indexes or with add_index)")

    for name in sorted(named):
        out.append(f"index {name!r} (declared as SQL in the model) is not in the database")

    want_fks = {(field.column_name, field.rel_model._meta.table_name, field.rel_field.column_name,
                 _on_delete(field.on_delete)) for field in model._meta.sorted_fields
                if isinstance(field, pw.ForeignKeyField)}
    have_fks = {(fk.column, fk.dest_table, fk.dest_column, _on_delete(getattr(fk, "on_delete", None)))
                for fk in database.get_foreign_keys(table)}
    for column, dest, dest_column, on_delete in sorted(want_fks - have_fks):
        out.append(f"foreign key {column!r} -> {dest}.{dest_column} ON DELETE {on_delete} is in the model "
                   "but not in the database")
    for column, dest, dest_column, on_delete in sorted(have_fks - want_fks):
        out.append(f"foreign key {column!r} -> {dest}.{dest_column} ON DELETE {on_delete} is in the database "
                   "but not in the model")
    return out
