"""Chroma server mode: a real `chroma run` process, killed, hung and restarted under one Engine."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.engine import Engine
from rag.errors import StoreError

from .conftest import FACTS, make_settings
from .servers import ChromaServer

QUESTION, DOC, WORDS = FACTS[0]


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-data").start()
    yield server
    server.resume() if server.proc and server.proc.poll() is None else None
    server.kill()


def served_engine(tmp_path: Path, embedder: Embedder, url: str, **kw: object) -> Engine:
    return Engine(make_settings(tmp_path, chroma_url=url, **kw), embedder)


def check_answer(engine: Engine) -> None:
    answer = engine.ask(QUESTION)
    assert answer.citations[0].doc_id == DOC
    assert all(w in answer.citations[0].quote for w in WORDS)


def test_ingest_and_ask_through_a_chroma_server(
    tmp_path: Path, embedder: Embedder, corpus: Path, chroma: ChromaServer
) -> None:
    engine = served_engine(tmp_path, embedder, chroma.url)
    report = engine.ingest([corpus])
    assert report.exit_code == 0 and len(report.added) == 14  # 8 facts + 6 stories
    check_answer(engine)
    # the vectors live in the server, not in an embedded store in the index folder
    assert not (Path(engine.settings.index_dir) / "chroma").exists()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(
        host="127.0.0.1", port=chroma.port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    assert client.get_collection("articles").count() == engine.store.chunk_count()


@pytest.mark.slow
def test_killed_server_is_a_clear_error_and_a_restart_recovers(
    tmp_path: Path, embedder: Embedder, corpus: Path, chroma: ChromaServer
) -> None:
    engine = served_engine(tmp_path, embedder, chroma.url, chroma_timeout=3)
    engine.ingest([corpus])
    check_answer(engine)
    chroma.kill()
    t0 = time.monotonic()
    with pytest.raises(StoreError, match="chroma run --path") as err:
        engine.ask(QUESTION)
    assert time.monotonic() - t0 < 5
    assert chroma.url in str(err.value)
    # the command line says the same in one line and exits 1
    env = {**os.environ, "RAG_INDEX_DIR": str(engine.settings.index_dir)}
    env["RAG_CHROMA_URL"] = chroma.url
    cli = subprocess.run(
        [sys.executable, "-m", "rag", "ask", QUESTION],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 1
    assert cli.stderr.startswith("error: ") and "chroma run --path" in cli.stderr
    assert "Traceback" not in cli.stderr
    chroma.start()  # same path, same port
    check_answer(engine)  # the same Engine, nothing re-ingested
    assert engine.store.chunk_count() == engine.store.collection.count()


def test_hung_server_times_out_instead_of_hanging(
    tmp_path: Path, embedder: Embedder, corpus: Path, chroma: ChromaServer
) -> None:
    engine = served_engine(tmp_path, embedder, chroma.url, chroma_timeout=2)
    engine.ingest([corpus])
    chroma.pause()
    try:
        t0 = time.monotonic()
        with pytest.raises(StoreError, match="(?i)timed? ?out"):
            engine.ask(QUESTION)
        assert time.monotonic() - t0 < 8  # one bounded request (plus the reconnect probe)
    finally:
        chroma.resume()
    check_answer(engine)


def test_no_server_at_the_url_says_how_to_start_one(
    tmp_path: Path, embedder: Embedder, corpus: Path
) -> None:
    from .servers import free_port

    engine = served_engine(tmp_path, embedder, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreError, match="start it with `chroma run"):
        engine.ingest([corpus])
    bad = served_engine(tmp_path / "b", embedder, "127.0.0.1:8000")
    with pytest.raises(StoreError, match="http://host:port"):
        bad.ingest([corpus])
