"""Crash-safe ingest: `rag ingest` killed with SIGKILL mid-run, rerun, and the index agrees."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from rag.embed import Embedder
from rag.engine import Engine
from rag.settings import Settings

RAG = [sys.executable, "-m", "rag"]
N = 60  # articles, about 130 chunks: killed while the embedded batch is being written
TOWNS = ["Aldmere", "Brenholt", "Corran", "Dunmore", "Elsby", "Fenwick", "Garth", "Holm"]
TOPICS = ["ferry", "library", "bridge", "market", "school", "harbour", "museum", "mill"]


def make_corpus(folder: Path, n: int, seed: int = 7) -> None:
    """n articles of a few paragraphs each, every one with its own number fact."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for i in range(n):
        town, topic = rng.choice(TOWNS), rng.choice(TOPICS)
        paras = [
            f"The {town} {topic} story number {i}",
            f"Officials in {town} said the {topic} served {1000 + i} people last year.",
        ]
        for p in range(rng.randint(3, 8)):
            paras.append(
                " ".join(
                    f"In paragraph {p} of report {i}, the {rng.choice(TOPICS)} committee of "
                    f"{rng.choice(TOWNS)} noted item {rng.randint(1, 999)} on its agenda."
                    for _ in range(rng.randint(2, 5))
                )
            )
        (folder / f"story_{i:04d}.txt").write_text("\n\n".join(paras) + "\n")


def committed_articles(index: Path) -> int:
    db = index / "meta.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return int(con.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0  # the schema is not there yet


def kill_mid_ingest(corpus: Path, env: dict[str, str], index: Path, at_least: int = 1) -> int:
    """Start `rag ingest`, SIGKILL it once `at_least` articles are committed; returns that count."""
    proc = subprocess.Popen(
        [*RAG, "ingest", str(corpus)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 600
    try:
        while committed_articles(index) < at_least:
            assert proc.poll() is None, "the ingest finished before it could be killed"
            assert time.monotonic() < deadline, "no article committed in 10 minutes"
            time.sleep(0.05)
        proc.kill()  # SIGKILL: no handler, no cleanup
    finally:
        proc.wait(30)
    assert proc.returncode == -9
    return committed_articles(index)


def index_counts(index: Path) -> dict[str, Any]:
    """What each part of the index holds: SQLite, Chroma, BM25 (ids and duplicates)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    with sqlite3.connect(index / "meta.sqlite3") as con:
        docs = [r[0] for r in con.execute("SELECT doc_id FROM articles")]
        chunk_ids = [r[0] for r in con.execute("SELECT chunk_id FROM chunks")]
        expected = sum(r[0] for r in con.execute("SELECT n_chunks FROM articles"))
    client = chromadb.PersistentClient(
        str(index / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    got = client.get_collection("articles").get(include=["metadatas"])
    bm25 = json.loads((index / "bm25" / "ids.json").read_text())["ids"]
    chroma_docs = {m["doc_id"] for m in got["metadatas"]}
    return {
        "articles": len(docs),
        "sqlite_chunks": len(chunk_ids),
        "chunks_per_articles_table": expected,
        "chroma_chunks": len(got["ids"]),
        "bm25_chunks": len(bm25),
        "chroma_documents": len(chroma_docs),
        "duplicate_ids": len(chunk_ids)
        - len(set(chunk_ids))
        + len(got["ids"])
        - len(set(got["ids"]))
        + len(bm25)
        - len(set(bm25)),
        "same_chunk_ids": set(chunk_ids) == set(got["ids"]) == set(bm25),
    }


@pytest.mark.slow
def test_ingest_killed_mid_run_completes_on_rerun_and_the_index_agrees(
    tmp_path: Path, embedder: Embedder
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, N)
    # small batches: each commits on its own, so the kill lands between commits
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "RAG_INGEST_BATCH_CHUNKS": "8"}
    before = kill_mid_ingest(corpus, env, index, at_least=3)
    assert 0 < before < N
    assert not (index / "manifest.json").exists()  # killed before the end of its first run
    rerun = subprocess.run(
        [*RAG, "ingest", str(corpus), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    # what was committed before the kill is kept, not embedded again; the rest is added
    assert len(report["unchanged"]) >= before - 1  # at most the one being written is redone
    assert len(report["unchanged"]) + len(report["added"]) + len(report["updated"]) == N
    counts = index_counts(index)
    print(f"\ncommitted before SIGKILL: {before}; after rerun: {counts}")
    assert counts["articles"] == counts["chroma_documents"] == N
    assert counts["sqlite_chunks"] == counts["chroma_chunks"] == counts["bm25_chunks"]
    assert counts["sqlite_chunks"] == counts["chunks_per_articles_table"]
    assert counts["duplicate_ids"] == 0 and counts["same_chunk_ids"]
    engine = Engine(Settings(index_dir=index), embedder)
    answer = engine.ask("How many people did the Aldmere ferry serve?")
    assert answer.citations and "Aldmere" in answer.citations[0].quote
