"""Inserting (and updating) many model instances at once, as `QuerySet.bulk_create` (`bulk_update`)
does, but on PostgreSQL through COPY: an import's 100,000 enterprises, their contacts and their
200,000 audit entries.

Django's bulk_create sends multi-row INSERTs with one bound parameter per value (500 rows × 25
columns per statement); PostgreSQL spends most of its time parsing and binding those rather than
storing rows: 60,000 audit entries took 13 s that way and 1.6 s as one `INSERT … SELECT`. COPY
streams the rows instead.

`bulk_insert` behaves like bulk_create for what the services rely on: every field's `pre_save`
runs (auto_now_add timestamps, blind indexes), values are prepared by the field for the database
(encrypted fields become tokens, JSON becomes JSON), primary keys are set on the instances (taken
from the table's sequence beforehand, in the order of the instances) and the instances count as
saved. It does not send signals, as bulk_create does not. On other databases it is bulk_create.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import F, Lookup


def bulk_insert(objs: Sequence[models.Model], *, batch_size: int = 1000) -> list[models.Model]:
    if not objs:
        return list(objs)
    model = type(objs[0])
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_insert")
    assign_ids(objs)
    fields = list(meta.concrete_fields)
    prepare = [_preparer(f, connection) for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    deferred = _gin_deferred(connection, meta.db_table, len(objs))
    with deferred, connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([p(f.pre_save(obj, True)) for f, p in zip(fields, prepare, strict=True)])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def assign_ids(objs: Sequence[models.Model]) -> bool:
    """On PostgreSQL, give the instances without a key one from their table's sequence now, in order,
    as bulk_insert would: what names them (audit entries) can then be made before they are written.
    Elsewhere keys come with the insert: nothing is assigned and the answer is False."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return False
    missing = [obj for obj in objs if obj.pk is None]
    if missing:
        meta = missing[0]._meta
        ids = _reserve_ids(connection, meta.db_table, meta.pk.column, len(missing))
        for obj, value in zip(missing, ids, strict=True):
            setattr(obj, meta.pk.attname, value)
    return True


def one_of(queryset: models.QuerySet, field: str, values: Sequence[str], *, chunk: int = 500) -> Iterator:
    """The rows of `queryset` whose text `field` is one of `values`. On PostgreSQL in one query,
    `field = ANY(array)`: an import's 100,000 codes took 200 IN lists of 500, which Django spent
    seconds compiling (4–13 ms a list, the database 1 ms); the database answers the array in 0.1–0.4 s.
    Elsewhere IN lists of `chunk` values, the queryset's order within each list."""
    values = list(values)
    if connections[queryset.db].vendor == "postgresql":
        yield from queryset.filter(_AnyOf(F(field), values))
        return
    for start in range(0, len(values), chunk):
        yield from queryset.filter(**{f"{field}__in": values[start : start + chunk]})


class _AnyOf(Lookup):
    """`field = ANY(%s)` with the values as one array parameter (PostgreSQL)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]


def bulk_update(objs: Sequence[models.Model], fields: Sequence[str], *, batch_size: int = 500) -> None:
    """Save the named fields of many saved instances at once, as `QuerySet.bulk_update` does, but
    with each field's `pre_save` first, as save() would (blind indexes follow their source), and on
    PostgreSQL through COPY into a temporary table and one `UPDATE … FROM` it.

    Django's bulk_update writes a CASE over every row for every field; building those expressions,
    not the database, took most of an import's updates (5,000 enterprises and contacts: 9.5 of 14 s
    in the profiler). Every field must be a concrete field of the model: other names raise
    FieldDoesNotExist."""
    objs = list(objs)
    if not objs or not fields:
        return
    model = type(objs[0])
    meta = model._meta
    concrete = [meta.get_field(name) for name in fields]
    for obj in objs:
        for f in concrete:
            setattr(obj, f.attname, f.pre_save(obj, False))
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, [f.name for f in concrete], batch_size=batch_size)
        return
    quote = connection.ops.quote_name
    table, key = quote(meta.db_table), quote(meta.pk.column)
    columns = [meta.pk, *concrete]
    names = ", ".join(quote(f.column) for f in columns)
    prepare = [_preparer(f, connection) for f in columns]
    temporary = quote(f"bulk_update_{meta.db_table}")
    assignments = ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in concrete)
    # In a transaction of its own (a savepoint inside the caller's): on any error the temporary
    # table goes with it; otherwise it is dropped at once, so the next call may create it again.
    deferred = _gin_deferred(connection, meta.db_table, len(objs))  # a row's new version: new entries
    with transaction.atomic(), deferred, connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {temporary} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {temporary} ({names}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([p(getattr(obj, f.attname)) for f, p in zip(columns, prepare, strict=True)])
        cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM {temporary} AS s WHERE t.{key} = s.{key}")
        cursor.execute(f"DROP TABLE {temporary}")


# Field classes whose database value is the Python value itself when it already has the type the
# field holds (psycopg adapts str, int and bool): most columns of a row, skipped cheaply.
_PLAIN = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.BigAutoField: int,
    models.AutoField: int,
    models.BooleanField: bool,
}


def _preparer(field: models.Field, connection):
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    plain = _PLAIN.get(type(target))

    def prepare(value):
        if value is None or (plain is not None and type(value) is plain):
            return value
        return field.get_db_prep_save(value, connection)

    return prepare


GIN_BATCH_ROWS = 1_000
GIN_PENDING_LIMIT_KB = 256 * 1024


@contextlib.contextmanager
def _gin_deferred(connection, table: str, n: int):
    """Many rows into a table with GIN indexes (the enterprise search): inserting each row's ~300
    trigrams and bigrams into the index one row at a time is most of the cost of the COPY. The
    rows' entries go to the indexes' pending lists instead (a larger limit for this transaction
    only) and are merged into the indexes in one pass at the end, before the transaction commits:
    half the time, and the indexes are whole when the rows become visible."""
    indexes = _gin_indexes(connection, table) if n >= GIN_BATCH_ROWS else []
    if not indexes:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('gin_pending_list_limit')")
        (previous,) = cursor.fetchone()
        cursor.execute("SELECT set_config('gin_pending_list_limit', %s, true)", [str(GIN_PENDING_LIMIT_KB)])
        yield
        for index in indexes:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("SELECT set_config('gin_pending_list_limit', %s, true)", [previous])


def _gin_indexes(connection, table: str) -> list[str]:
    """The table's GIN indexes whose pending list this role may merge: gin_clean_pending_list is for
    the index's owner (or a superuser); a deployment whose runtime role does not own the tables
    takes the plain path."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = %s::regclass AND am.amname = 'gin' "
            "AND pg_has_role(c.relowner, 'USAGE')",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def _reserve_ids(connection, table: str, column: str, n: int) -> list[int]:
    """n values of the table's id sequence, ascending: rows keep the order they were given in."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, n])
        return sorted(row[0] for row in cursor.fetchall())


@contextlib.contextmanager
def gc_paused():
    """Python's cycle collector off while a bulk job holds hundreds of thousands of objects: each
    collection walks all of them, and they are freed by reference counting when the job ends
    (an import of 100,000 rows took 12% longer with the collector running)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
