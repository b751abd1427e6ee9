"""Real PostgreSQL for tests: the server on 127.0.0.1:5432 (trust auth, database `test`), or a
throwaway cluster made with initdb/pg_ctl in a temporary folder on a free port.

Each test gets a database of its own, dropped afterwards. RAG_TEST_DATABASE_URL names another
server to use. Where neither runs nor can be started, the tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from .servers import ChromaServer, free_port

SERVER = os.environ.get("RAG_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _bin(name: str) -> str | None:
    """A PostgreSQL server program (Debian keeps them out of PATH)."""
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(versions[-1]) if versions else shutil.which(name)


def reachable(url: str) -> str | None:
    """None when a connection to `url` works, else why not."""
    try:
        import psycopg
    except ImportError as err:
        return f"psycopg is not installed ({err})"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except Exception as err:  # OperationalError and its kin
        return f"{type(err).__name__}: {str(err).strip()[:200]}"
    return None


class Cluster:
    """A PostgreSQL cluster of our own: initdb in a folder, pg_ctl start and stop."""

    def __init__(self) -> None:
        # subtle: initdb refuses to run as root; there the server programs run as `postgres`,
        # in a folder of theirs (pytest's own are closed to other users)
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.dir = Path(tempfile.mkdtemp(prefix="rag-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> Cluster:
        initdb = _bin("initdb")
        if initdb is None:
            raise RuntimeError("no initdb on this machine")
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self._run(initdb, "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")
        return self.start()

    def start(self) -> Cluster:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(_bin("pg_ctl") or "pg_ctl", "-D", str(self.dir / "data"), "-o", opts,
                  "-l", str(self.dir / "log"), "-w", "start")  # fmt: skip
        return self

    def stop(self) -> None:
        self._run(_bin("pg_ctl") or "pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w",
                  "stop")  # fmt: skip

    def remove(self) -> None:
        """Stop the server if it runs, and delete its folder."""
        with suppress(Exception):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def database(server: str) -> Iterator[str]:
    """A new empty database on `server`; yields its URL and drops it afterwards."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    name = f"rag_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    info = conninfo_to_dict(server)
    user = f"{info['user']}@" if info.get("user") else ""
    url = f"postgresql://{user}{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------- fixtures (imported by the test modules that use them) ----------


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The PostgreSQL on 127.0.0.1:5432, else a throwaway cluster, else a skip saying why."""
    why = reachable(SERVER)
    if why is None:
        yield SERVER
        return
    try:
        cluster = Cluster().init()
    except Exception as err:  # no initdb, no postgres user, no permission
        pytest.skip(f"no PostgreSQL at {SERVER} ({why}), and none could be started: {err}")
    yield cluster.url
    cluster.remove()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    with database(pg_server) as url:
        yield url


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "data").start()
    yield server
    server.kill()
