"""The record of truth in PostgreSQL (RAG_DATABASE_URL) with vectors in a real `chroma run`:
answers, full-text search, migrations, two engines sharing a library, ingests at once, a server
restart, and `rag migrate` from an embedded index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.engine import Engine
from rag.errors import StoreError
from rag.index import Filters

from . import postgres
from .conftest import ANSWERED, FACTS, make_settings
from .postgres import Cluster
from .servers import ChromaServer

pg_server, pg_url, chroma = postgres.pg_server, postgres.pg_url, postgres.chroma  # fixtures


def replica(
    tmp: Path, embedder: Embedder, url: str, chroma: ChromaServer, name: str, collection: str = ""
) -> Engine:
    """An engine with an index folder of its own, sharing the database and the Chroma server;
    the collection is named after the database, so tests sharing the server stay apart."""
    collection = collection or url.rsplit("/", 1)[1]
    settings = make_settings(
        tmp / name, database_url=url, chroma_url=chroma.url, collection=collection
    )
    return Engine(settings, embedder)


def cites(engine: Engine, question: str) -> list[str]:
    return [c.doc_id for c in engine.ask(question).citations]


def test_ingest_and_ask_with_the_records_in_postgres(
    tmp_path: Path, embedder: Embedder, corpus: Path, pg_url: str, chroma: ChromaServer
) -> None:
    engine = replica(tmp_path, embedder, pg_url, chroma, "a")
    report = engine.ingest([corpus])
    assert report.exit_code == 0 and len(report.added) == 8
    for question, doc, words in ANSWERED:
        answer = engine.ask(question)
        assert answer.citations[0].doc_id == doc, question
        assert all(w in " ".join(c.quote for c in answer.citations) for w in words)
    assert engine.ask("What is the boiling point of mercury?").abstained
    # nothing a replica must share is in its folder: no SQLite, manifest, BM25 or vectors
    folder = Path(engine.settings.index_dir)
    assert not folder.exists() or not {p.name for p in folder.iterdir()} & {
        "meta.sqlite3", "manifest.json", "bm25", "chroma"}  # fmt: skip
    assert engine.stats()["manifest"]["articles"] == 8
    assert engine.store.collection.count() == engine.store.chunk_count()
    # an unchanged second ingest writes nothing
    again = engine.ingest([corpus])
    assert len(again.unchanged) == 8 and not again.added and not again.updated


def test_full_text_search_ranks_the_chunk_that_has_the_words(
    tmp_path: Path, embedder: Embedder, corpus: Path, pg_url: str, chroma: ChromaServer
) -> None:
    engine = replica(tmp_path, embedder, pg_url, chroma, "a")
    engine.ingest([corpus])
    store = engine.store
    assert store.lexical("Agnes Whitlow telescope", 3, None)[0].startswith("observatory#")
    assert store.lexical("the of and", 3, None) == []  # stopwords only: no terms
    assert store.lexical("Agnes Whitlow", 3, {"chess_final"}) == []
    # a date filter goes through the same SQL as in SQLite
    allowed = store.allowed_docs(Filters(published_from="2099-01-01"))
    assert allowed == set()
    row = store.db.one("SELECT terms FROM chunk_terms WHERE doc_id=?", ("observatory",))
    assert "'whitlow'" in str(row[0])


def test_full_text_ranks_as_bm25s_does_before_and_after_a_removal(
    tmp_path: Path, embedder: Embedder, corpus: Path, pg_url: str, chroma: ChromaServer
) -> None:
    """BM25 computed in SQL from term_df and fulltext_totals, against bm25s on the same chunks."""
    shared = replica(tmp_path, embedder, pg_url, chroma, "a")
    local = Engine(make_settings(tmp_path / "local"), embedder)
    for engine in (shared, local):
        engine.ingest([corpus])
    queries = [q for q, _, _ in FACTS] + ["council staff week vote", "museum clock shed garden"]

    def same() -> None:
        for q in queries:
            assert shared.store.lexical(q, 5, None) == local.store.lexical(q, 5, None), q
        recount = shared.store.db.rows(
            "SELECT lexeme, count(*) FROM chunk_terms, unnest(tsvector_to_array(terms)) lexeme "
            "GROUP BY lexeme ORDER BY lexeme"
        )
        kept = shared.store.db.rows("SELECT term, df FROM term_df WHERE df > 0 ORDER BY term")
        assert kept == recount
        totals = shared.store.db.one("SELECT chunks FROM fulltext_totals")
        assert totals[0] == shared.store.chunk_count()

    same()
    for engine in (shared, local):
        engine.remove(["feeds/wire/0"])
    same()


def test_migrations_run_once_and_a_newer_schema_is_refused(
    tmp_path: Path, embedder: Embedder, pg_url: str, chroma: ChromaServer
) -> None:
    import psycopg

    from rag.index import Store
    from rag.index.pg_schema import LATEST

    settings = replica(tmp_path, embedder, pg_url, chroma, "a").settings
    Store(settings, create=True).close()
    Store(settings, create=True).close()  # a second replica starting applies nothing again
    with psycopg.connect(pg_url, autocommit=True) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions == list(range(1, LATEST + 1))
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, 'later')", (99,))
    with pytest.raises(StoreError, match="schema 99.*upgrade rag"):
        Store(settings, create=True)
    with pytest.raises(StoreError, match="RAG_CHROMA_URL"):
        Store(settings.model_copy(update={"chroma_url": None}))


def test_two_replicas_share_one_library(
    tmp_path: Path, embedder: Embedder, corpus: Path, pg_url: str, chroma: ChromaServer
) -> None:
    a = replica(tmp_path, embedder, pg_url, chroma, "a")
    b = replica(tmp_path, embedder, pg_url, chroma, "b")
    a.ingest([corpus / "observatory.txt"])
    question, doc, _ = FACTS[5]
    assert cites(b, question)[:1] == [doc]  # ingested through a, answered by b
    b.ingest([corpus / "chess_final.html"])
    assert cites(a, FACTS[2][0])[:1] == [FACTS[2][1]]
    assert a.remove([doc]) == 1
    assert doc not in cites(b, question)  # removed through a, gone from b
    assert b.store.article_count() == 1 and b.stats()["manifest"]["articles"] == 1


def test_the_same_text_stored_meanwhile_by_another_replica_is_a_duplicate(
    tmp_path: Path,
    embedder: Embedder,
    corpus: Path,
    pg_url: str,
    chroma: ChromaServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shutil

    a = replica(tmp_path, embedder, pg_url, chroma, "a")
    b = replica(tmp_path, embedder, pg_url, chroma, "b")
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(corpus / "observatory.txt", copy / "telescope.txt")
    a.ingest([corpus / "observatory.txt"])
    # b looked before a's write landed: its snapshot of the library is empty
    monkeypatch.setattr(type(b.store), "hashes", lambda self: {})
    report = b.ingest([copy])
    assert report.duplicates == [("telescope", "observatory")] and not report.added
    assert [x["doc_id"] for x in b.store.articles()] == ["observatory"]
    assert b.store.collection.count() == b.store.chunk_count()


def _ingest_cli(env: dict[str, str], folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rag", "ingest", str(folder), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_ingests_at_once_neither_duplicate_nor_lose_an_article(
    tmp_path: Path, embedder: Embedder, corpus: Path, pg_url: str, chroma: ChromaServer
) -> None:
    """Two `rag ingest` processes, each its own replica, over overlapping folders at once."""
    import shutil

    halves = [tmp_path / "one", tmp_path / "two"]
    files = sorted(p for p in corpus.iterdir() if p.is_file())
    for i, half in enumerate(halves):
        half.mkdir()
        for f in files[i * 2 : i * 2 + len(files) // 2 + 2]:  # overlapping slices
            shutil.copy(f, half / f.name)
    collection = pg_url.rsplit("/", 1)[1]
    base = {**os.environ, "RAG_DATABASE_URL": pg_url, "RAG_CHROMA_URL": chroma.url}
    base["RAG_COLLECTION"] = collection
    procs = [
        _ingest_cli({**base, "RAG_INDEX_DIR": str(tmp_path / f"r{i}")}, half)
        for i, half in enumerate(halves)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    expected = {f.stem for h in halves for f in h.iterdir()}
    engine = replica(tmp_path, embedder, pg_url, chroma, "check")
    store = engine.store
    assert {a["doc_id"] for a in store.articles()} == expected
    assert store.chunk_count() == sum(a["chunks"] for a in store.articles())
    assert store.collection.count() == store.chunk_count()  # no vector twice, none missing
    assert store.repair() == []


def test_a_postgres_restart_is_a_clear_error_and_the_replica_recovers(
    tmp_path: Path, embedder: Embedder, corpus: Path, chroma: ChromaServer
) -> None:
    """A cluster of the test's own, stopped and started under one running engine."""
    cluster = Cluster()
    try:
        cluster.init()
    except Exception as err:  # no initdb, no postgres user, no permission
        pytest.skip(f"cannot start a PostgreSQL cluster of the test's own: {err}")
    try:
        url = cluster.url
        engine = replica(tmp_path, embedder, url, chroma, "a")
        engine.settings.database_timeout = 3
        engine.ingest([corpus / "observatory.txt"])
        question, doc, _ = FACTS[5]
        assert cites(engine, question)[:1] == [doc]
        cluster.stop()
        t0 = time.monotonic()
        with pytest.raises(StoreError, match="PostgreSQL .* failed at postgresql://") as err:
            engine.ask(question)
        assert "connects again" in str(err.value) and time.monotonic() - t0 < 10
        cluster.start()
        assert cites(engine, question)[:1] == [doc]  # the same engine, by itself
    finally:
        cluster.remove()


def test_migrate_copies_an_embedded_index_without_embedding_again(
    tmp_path: Path,
    embedder: Embedder,
    corpus: Path,
    pg_url: str,
    chroma: ChromaServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rag.migrate import migrate

    local = Engine(make_settings(tmp_path / "local"), embedder)  # vectors in its folder
    local.ingest([corpus])
    # a collection no other test uses on this server: the source's own name
    shared = replica(tmp_path, embedder, pg_url, chroma, "shared", local.settings.collection)
    settings = local.settings.model_copy(update={"chroma_url": chroma.url})
    monkeypatch.setattr(Embedder, "encode", lambda *a, **k: pytest.fail("embedded again"))
    first = migrate(settings, pg_url)
    assert len(first.copied) == 8 and first.skipped == 0
    assert first.chunks == local.store.chunk_count()
    # the command: a second run copies nothing and says so
    env = {**os.environ, "RAG_INDEX_DIR": str(settings.index_dir), "RAG_CHROMA_URL": chroma.url}
    cli = [sys.executable, "-m", "rag", "migrate", "--to"]
    second = subprocess.run([*cli, pg_url, "--json"], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    counts = json.loads(second.stdout)
    assert counts["copied"] == 0 and counts["skipped"] == counts["articles"] == 8
    bad = subprocess.run([*cli, "mysql://db/x"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.startswith("error: --to 'mysql://db/x' is not")
    monkeypatch.undo()
    for question, doc, _ in FACTS:
        assert cites(shared, question)[:1] == [doc]
        assert shared.ask(question).text == local.ask(question).text
    assert shared.store.entities(["observatory"]) == local.store.entities(["observatory"])


def test_a_garbled_article_with_one_endless_word_is_stored(
    tmp_path: Path, embedder: Embedder, pg_url: str, chroma: ChromaServer
) -> None:
    """PostgreSQL refuses a full-text term of 2 KB: such a run of letters is left out of the
    terms, not the article out of the index."""
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "garbled.txt").write_text(
        "Garbled wire copy\n\nThe Orrin Vale council met on Monday. " + "x" * 3000 + " ends.\n"
    )
    engine = replica(tmp_path, embedder, pg_url, chroma, "a")
    assert engine.ingest([folder]).added == ["garbled"]
    assert engine.store.lexical("Orrin Vale council", 3, None)[0].startswith("garbled#")
