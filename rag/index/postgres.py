"""SQL statements -> PostgreSQL at RAG_DATABASE_URL: the record of truth several replicas share.

One connection per process, under the index's lock (as with SQLite); a lost connection (the
server restarted, the network dropped) is a StoreError that says so, and the next call
connects again. The schema is brought up to date on connect (pg_schema.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from ..errors import StoreError
from ..settings import Settings
from .db import Database, Writer
from .pg_schema import LATEST, MIGRATIONS

#: pg_advisory_lock keys: one writer at a time, and one migrator.
WRITE_LOCK = 0x72616701
MIGRATE_LOCK = 0x72616702


def _sql(sql: str) -> str:
    """`?` placeholders -> psycopg's `%s` (a literal % doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def describe(url: str) -> str:
    """A database URL without its password, for messages.

    >>> describe("postgresql://news:secret@db.example:5433/library")
    'postgresql://news@db.example:5433/library'
    """
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(url)
    except Exception:  # psycopg.ProgrammingError: not a URL it can read
        return "(an unreadable RAG_DATABASE_URL)"
    user = f"{info['user']}@" if info.get("user") else ""
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{info.get('host') or 'localhost'}{port}/{info.get('dbname', '')}"


class _Tx:
    """A transaction's statements, written with `?` placeholders."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(_sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Any) -> Any:
        cur = self.conn.cursor()
        cur.executemany(_sql(sql), list(rows))
        return cur


class PostgresDatabase(Database):
    """PostgreSQL: the same statements as SQLite, one connection, reconnecting after a loss."""

    kind = "postgresql"
    DATED = "published ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}'"

    def __init__(self, settings: Settings, lock: threading.RLock) -> None:  # noqa: D107
        self.lock = lock
        self.url = str(settings.database_url)
        self.timeout = settings.database_timeout
        self.where = describe(self.url)
        self._conn: Any = None
        self.conn()  # a wrong URL or a stopped server fails here, with what to do

    def conn(self) -> Any:
        """The connection, opened (and the schema brought up to date) when there is none."""
        import psycopg

        with self.lock:
            if self._conn is None or self._conn.closed:
                with self._guard("connect"):
                    conn = psycopg.connect(
                        self.url, autocommit=True, connect_timeout=max(1, int(self.timeout))
                    )
                    migrate(conn)
                    self._conn = conn
            return self._conn

    @contextmanager
    def _guard(self, op: str) -> Iterator[None]:
        """A lost or refused connection -> StoreError (and a new connection next time)."""
        import psycopg

        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as err:
            with suppress(Exception):
                if self._conn is not None:
                    self._conn.close()
            self._conn = None
            raise StoreError(
                f"PostgreSQL {op} failed at {self.where} ({type(err).__name__}: "
                f"{str(err).strip() or 'connection lost'}) — check that the server runs and "
                "RAG_DATABASE_URL; the next request connects again"
            ) from err

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.lock, self._guard("query"):
            return self.conn().execute(_sql(sql), tuple(params)).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.lock, self._guard("query"):
            return self.conn().execute(_sql(sql), tuple(params)).fetchone()

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        with self.lock, self._guard("write"):
            conn = self.conn()
            with conn.transaction():
                yield _Tx(conn)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self.lock, self._guard("query"):
            conn = self.conn()
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One writer at a time across every replica: a session advisory lock, released
        with the session should the connection die."""
        with self.lock:
            with self._guard("lock"):
                self.conn().execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
            try:
                yield
            finally:
                with suppress(Exception):
                    self.conn().execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))

    def close(self) -> None:
        with self.lock, suppress(Exception):
            if self._conn is not None:
                self._conn.close()
        self._conn = None


def migrate(conn: Any) -> int:
    """Apply the migrations this database lacks, each once, under an advisory lock; returns
    the schema version. A database newer than this code is refused, untouched."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}
        if done and max(done) > LATEST:
            raise StoreError(
                f"the database has schema {max(done)}, this version of rag knows up to {LATEST} "
                "— upgrade rag, or point RAG_DATABASE_URL at another database"
            )
        for version, name, sql in MIGRATIONS:
            if version not in done:
                for statement in filter(str.strip, sql.split(";")):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name)
                )
    return LATEST
