"""Loading many rows into PostgreSQL fast: COPY in its text format (in chunks, for a million rows), the next free
id and the sequence after a COPY, and the recipe of dropping a table's secondary indexes and foreign keys while
it loads. A field added to a model after the builder was written gets its default (or NULL) here."""

import io
import time
from contextlib import contextmanager

from django.db import connection

COPY_CHUNK = 100_000


def copy_value(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def copy_rows(model, columns: list[str], rows) -> None:
    """COPY rows (tuples in `columns` order) into the model's table; fields added to the model later get their
    defaults (as Copier does)."""
    extra_columns, extra = fields_added_later(model, columns)
    suffix = "".join("\t" + copy_value(value) for value in extra)
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(copy_value, row)))
        buffer.write(suffix + "\n")
    copy_buffer(model, [*columns, *extra_columns], buffer)


def copy_buffer(model, columns: list[str], buffer: io.StringIO) -> None:
    """COPY lines in PostgreSQL's text format into the model's table."""
    buffer.seek(0)
    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if hasattr(raw, "copy_expert"):  # psycopg2
            raw.copy_expert(sql, buffer)
        else:  # psycopg 3
            with raw.copy(sql) as copy:
                copy.write(buffer.getvalue())


def defaults_of_fields_added_later(fields, known) -> dict:
    """A field added to a model after this generator was written gets its default, or NULL; a required field
    without either stops the build with a message saying where to add it."""
    defaults = {}
    for field in fields:
        if field.attname in known:
            continue
        if field.has_default() or (field.blank and field.empty_strings_allowed and not field.null):
            defaults[field.attname] = field.get_default()  # a blank text field: ""
        elif field.null:
            defaults[field.attname] = None
        else:
            raise RuntimeError(
                f"{field.model.__name__}.{field.name} is required and has no default: give it a value in "
                "the bench data builder (bench/data/)."
            )
    return defaults


def next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")  # noqa: S608 - model name
        return cursor.fetchone()[0]


def reset_sequence(model) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",  # noqa: S608
            [table],
        )


def fields_added_later(model, known) -> tuple[list[str], tuple]:
    """Columns of fields added to the model after this generator was written, and their values."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not getattr(f, "generated", False)]
    defaults = defaults_of_fields_added_later(fields, set(known))
    return [model._meta.get_field(name).column for name in defaults], tuple(defaults.values())


@contextmanager
def bulk_load(tables: list[str], log):
    """PostgreSQL's recipe for loading many rows ("Populating a Database" in its manual): drop the tables'
    foreign keys and secondary indexes, load, then create them again: one sort per index and one join per key
    instead of an index insert and a key check per row. It runs inside the build's transaction, so a failure
    rolls the DDL back too. Primary keys and unique constraints stay; partial unique indexes are created again
    and check every row then. Django's keys are deferred: the checks pending on the tables are run before each
    step (PostgreSQL refuses DDL on a table with pending checks), and deferred again after it."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY conname",
            [tables],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE contype IN ('p', 'u', 'x')) ORDER BY indexname",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    t0 = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    log(
        f"{len(indexes)} indexes and {len(keys)} foreign keys of {', '.join(tables)} made again in "
        f"{time.monotonic() - t0:.1f}s"
    )


class Copier:
    """Rows for one table, sent by COPY every COPY_CHUNK rows (memory stays flat for a million rows)."""

    def __init__(self, model, columns):
        self.model = model
        extra_columns, extra = fields_added_later(model, columns)
        self.columns = [*columns, *extra_columns]
        self.suffix = "".join("\t" + copy_value(value) for value in extra)
        self.lines = []
        self.count = 0

    def add(self, row) -> None:
        self.add_line("\t".join(map(copy_value, row)))

    def add_line(self, line: str) -> None:
        """A row already in COPY's text format (the caller escapes), without the fields added later."""
        self.lines.append(line + self.suffix)
        if len(self.lines) >= COPY_CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            copy_buffer(self.model, self.columns, io.StringIO("\n".join(self.lines) + "\n"))
            self.count += len(self.lines)
            self.lines = []
