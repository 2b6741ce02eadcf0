"""Database helpers that Django's ORM does not offer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

# libpq 17 added chunked rows mode, which psycopg's Cursor.stream(size=...) uses.
CHUNKED_ROWS_LIBPQ = 170000


def stream_rows(queryset, chunk_size: int = 2000) -> Iterator[tuple]:
    """The tuples of a ``values_list`` queryset, in constant memory.

    On PostgreSQL this sends the query once and receives its rows in chunks (psycopg's
    ``Cursor.stream`` in libpq's chunked rows mode). Django's ``iterator()`` instead
    declares a server-side cursor and fetches each chunk with a round trip of its own,
    which at 40,000 rows takes longer than the query (docs/performance.md). Elsewhere
    this is ``queryset.iterator(chunk_size)``.

    While the rows stream, the connection is busy: run no other query on it until the
    iterator is exhausted or closed (closing early cancels the query).
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or not _chunked_rows_supported():
        yield from queryset.iterator(chunk_size=chunk_size)
        return
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()  # also sets up compiler.select
    converters = compiler.get_converters(
        [column for column, _, _ in compiler.select[:compiler.col_count]])
    with connection.cursor() as cursor:
        # Django's debug cursor logs the query (connection.queries, query-count tests).
        debug_sql = getattr(cursor, "debug_sql", None) or _no_log
        with debug_sql(sql, params):
            rows = cursor.cursor.stream(sql, params, size=chunk_size)
            if converters:
                rows = map(tuple, compiler.apply_converters(rows, converters))
            yield from rows


@contextmanager
def _no_log(sql, params):
    yield


def _chunked_rows_supported() -> bool:
    import psycopg

    return psycopg.pq.version() >= CHUNKED_ROWS_LIBPQ
