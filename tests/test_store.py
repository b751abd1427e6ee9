"""Incremental ingest against a real Chroma + BM25 + SQLite index in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.errors import IndexMismatchError, NoIndexError
from rag.index import Store

from .conftest import DATA, FACTS, make_settings


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    dest = tmp_path / "docs"
    dest.mkdir()
    for name in ("harbour_bridge.txt", "observatory.txt", "rail_strike.txt"):
        shutil.copy(DATA / name, dest / name)
    return dest


def chroma_ids(engine: Engine) -> set[str]:
    return set(engine.store.collection.get(include=[])["ids"])


def test_incremental_ingest_edit_duplicate_prune(fresh: Engine, docs: Path) -> None:
    first = fresh.ingest([docs])
    assert sorted(first.added) == ["harbour_bridge", "observatory", "rail_strike"]
    assert first.exit_code == 0 and first.chunks == 3

    again = fresh.ingest([docs])
    assert sorted(again.unchanged) == sorted(first.added)
    assert again.chunks == 0  # nothing re-embedded

    bridge = docs / "harbour_bridge.txt"
    bridge.write_text(bridge.read_text().replace("14 March", "2 April"))
    shutil.copy(docs / "observatory.txt", docs / "observatory copy.txt")
    (docs / "rail_strike.txt").unlink()

    third = fresh.ingest([docs], prune=True)
    assert third.updated == ["harbour_bridge"]
    assert third.duplicates == [("observatory copy", "observatory")]
    assert third.removed == ["rail_strike"]
    assert third.chunks == 1
    assert fresh.store.article_count() == 2
    assert chroma_ids(fresh) == {"harbour_bridge#0", "observatory#0"}
    answer = fresh.ask("When does the Aldmere swing bridge shut for repairs?")
    assert "2 April" in answer.text and "14 March" not in answer.text


def test_without_prune_nothing_is_removed(fresh: Engine, docs: Path) -> None:
    fresh.ingest([docs])
    (docs / "rail_strike.txt").unlink()
    report = fresh.ingest([docs])
    assert report.removed == [] and fresh.store.article_count() == 3


def test_rejected_file_does_not_stop_the_others(fresh: Engine, docs: Path) -> None:
    (docs / "broken.txt").write_bytes(b"caf\xe9 is not utf8")
    (docs / "empty.md").write_text("")
    report = fresh.ingest([docs])
    assert len(report.added) == 3
    assert sorted(Path(r.where).name for r in report.rejected) == ["broken.txt", "empty.md"]
    assert report.exit_code == 3


def test_failed_ingest_keeps_what_was_indexed(fresh: Engine, docs: Path, tmp_path: Path) -> None:
    fresh.ingest([docs])
    with pytest.raises(Exception, match="does not exist"):
        fresh.ingest([tmp_path / "nowhere"])
    assert fresh.store.article_count() == 3 and len(chroma_ids(fresh)) == 3


def test_repair_finds_vectors_sqlite_does_not_vouch_for(fresh: Engine, docs: Path) -> None:
    fresh.ingest([docs])
    store = fresh.store
    # as if an ingest died between the Chroma write and the SQLite commit
    store.collection.upsert(
        ids=["ghost#0"], embeddings=[[0.1] * 384], metadatas=[{"doc_id": "ghost"}]
    )
    store.collection.update(ids=["observatory#0"], metadatas=[{"record_hash": "stale"}])
    assert store.repair() == ["observatory"]
    assert "ghost#0" not in chroma_ids(fresh)
    report = fresh.ingest([docs])
    assert report.updated == ["observatory"] and store.repair() == []


def test_opening_without_index_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(NoIndexError, match="rag ingest"):
        Store(make_settings(tmp_path))


def test_mismatched_embedding_model_is_refused(fresh: Engine, docs: Path, tmp_path: Path) -> None:
    fresh.ingest([docs])
    other = make_settings(tmp_path, embed_model="some/other-model")
    with pytest.raises(IndexMismatchError, match="embed_model"):
        Store(other)


def test_index_built_with_another_encoder_is_refused(
    fresh: Engine, docs: Path, tmp_path: Path
) -> None:
    fresh.ingest([docs])
    assert fresh.store.manifest["encoder"] == fresh.embedder.encoder
    assert fresh.store.manifest["sentence_vectors"] == "float16"
    other = "torch" if fresh.embedder.encoder != "torch" else "onnx"
    with pytest.raises(IndexMismatchError, match="encoder"):
        Store(make_settings(tmp_path, encoder=other))


def test_bm25_is_rebuilt_when_stale(fresh: Engine, docs: Path) -> None:
    fresh.ingest([docs])
    shutil.rmtree(fresh.settings.index_dir / "bm25")
    reopened = Engine(fresh.settings, fresh.embedder)
    assert reopened.store.lexical("Saltmarsh drivers strike", 5, None)[0] == "rail_strike#0"


def test_bm25_tokenizes_only_changed_chunks_and_ranks_as_one_built_from_scratch(
    fresh: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.index import lexical

    docs = tmp_path / "all"
    shutil.copytree(DATA, docs)
    chess = docs / "chess_final.html"
    shutil.move(chess, tmp_path / chess.name)  # added later
    fresh.ingest([docs])
    tokenized: list[str] = []
    real_terms = lexical.terms
    monkeypatch.setattr(lexical, "terms", lambda t: tokenized.append(t) or real_terms(t))
    bridge = docs / "harbour_bridge.txt"
    bridge.write_text(bridge.read_text().replace("14 March", "2 April"))
    shutil.move(tmp_path / chess.name, chess)
    (docs / "rail_strike.txt").unlink()
    report = fresh.ingest([docs], prune=True)
    assert report.updated == ["harbour_bridge"] and report.removed == ["rail_strike"]
    # only the edited and the added article's chunks; the other articles' terms were kept
    assert len(tokenized) == report.chunks and any("2 April" in t for t in tokenized)

    questions = [q for q, _, _ in FACTS] + ["Saltmarsh train drivers", "bridge repairs April"]
    kept = {q: fresh.store.lexical(q, 50, None) for q in questions}
    shutil.rmtree(fresh.settings.index_dir / "bm25")
    scratch = Engine(fresh.settings, fresh.embedder)
    assert {q: scratch.store.lexical(q, 50, None) for q in questions} == kept
    assert kept["bridge repairs April"][0] == "harbour_bridge#0"
    assert not any(h.startswith("rail_strike") for hits in kept.values() for h in hits)


def test_remove_deletes_from_every_part(fresh: Engine, docs: Path) -> None:
    fresh.ingest([docs])
    assert fresh.remove(["observatory", "not-there"]) == 1
    assert [a["doc_id"] for a in fresh.articles()] == ["harbour_bridge", "rail_strike"]
    assert "observatory#0" not in chroma_ids(fresh)
    hits = fresh.store.lexical("Mount Kessel telescope Agnes Whitlow", 5, None)
    assert all(not h.startswith("observatory") for h in hits)


def test_an_index_emptied_by_removals_reopens_and_finds_nothing(fresh: Engine, docs: Path) -> None:
    fresh.ingest([docs])
    fresh.remove(["harbour_bridge", "observatory", "rail_strike"])
    reopened = Engine(fresh.settings, fresh.embedder)
    assert reopened.store.lexical("Saltmarsh drivers strike", 5, None) == []
    assert reopened.retrieve("Who is the telescope named after?") == []


def test_static_encoder_index_answers_and_is_refused_by_the_default(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "static", encoder="static")
    engine = Engine(settings)
    report = engine.ingest([docs])
    assert report.exit_code == 0 and len(report.added) == 3
    assert engine.store.manifest["encoder"] == "static"
    assert engine.store.manifest["lead_encoder"] == "onnx"  # article vectors: the transformer
    seen: list[int] = []
    leads = engine.store.leads
    monkeypatch.setattr(
        engine.store, "leads", lambda v, n, allowed: seen.append(len(v)) or leads(v, n, allowed)
    )
    answer = engine.ask("When does the Aldmere swing bridge shut for repairs?")
    assert answer.citations and answer.citations[0].doc_id == "harbour_bridge"
    assert "14 March" in answer.text
    assert seen == [384]  # the question in MiniLM's space, not the table's 256 dimensions
    with pytest.raises(IndexMismatchError, match="encoder"):
        Store(make_settings(tmp_path / "static", encoder="onnx"))


def test_one_batch_write_replaces_shrunk_articles(fresh: Engine, docs: Path) -> None:
    fresh.ingest([docs])
    bridge, sky = docs / "harbour_bridge.txt", docs / "observatory.txt"
    bridge_text, sky_text = bridge.read_text(), sky.read_text()
    bridge.write_text((bridge_text + "\n") * 12)  # several chunks each
    sky.write_text((sky_text + "\n") * 12)
    grown = fresh.ingest([docs])
    assert sorted(grown.updated) == ["harbour_bridge", "observatory"]

    def chroma_chunks(doc: str) -> set[str]:
        return {i for i in chroma_ids(fresh) if i.startswith(doc + "#")}

    big = {d: len(chroma_chunks(d)) for d in ("harbour_bridge", "observatory")}
    assert min(big.values()) > 2
    # both shrink, by different amounts, in the same batch
    bridge.write_text((bridge_text + "\n") * 3)
    sky.write_text("The observatory closed for the winter.\n")
    fresh.ingest([docs])
    assert chroma_chunks("observatory") == {"observatory#0"}
    left = chroma_chunks("harbour_bridge")
    assert 1 < len(left) < big["harbour_bridge"]
    assert left == {f"harbour_bridge#{n}" for n in range(len(left))}
    assert fresh.store.chunk_count() == len(chroma_ids(fresh))


def article_vector_ids(engine: Engine) -> list[str]:
    return [r[0] for r in engine.store.db.rows("SELECT doc_id FROM article_vectors")]


def test_article_vectors_follow_their_articles(fresh: Engine, docs: Path) -> None:
    fresh.ingest([docs])
    assert sorted(article_vector_ids(fresh)) == ["harbour_bridge", "observatory", "rail_strike"]
    assert fresh.store.manifest["lead_encoder"] == fresh.embedder.encoder
    question = fresh.embedder.encode(["Why did the train drivers walk out?"])[0]
    assert fresh.store.leads(question, 3, None)[0] == "rail_strike"
    # an edit re-embeds the opening: the old one no longer answers for it
    (docs / "rail_strike.txt").write_text(
        "Comet seen from Saltmarsh\n\nAstronomers at Saltmarsh saw a comet on Friday night.\n"
    )
    fresh.ingest([docs])
    comet = fresh.embedder.encode(["Where was the comet seen?"])[0]
    assert fresh.store.leads(comet, 3, None)[0] == "rail_strike"
    fresh.remove(["rail_strike"])
    assert sorted(article_vector_ids(fresh)) == ["harbour_bridge", "observatory"]
    assert "rail_strike" not in fresh.store.leads(question, 3, None)


def test_without_article_vectors_retrieval_uses_two_lists(docs: Path, tmp_path: Path) -> None:
    engine = Engine(make_settings(tmp_path, lead_tokens=0))
    engine.ingest([docs])
    assert article_vector_ids(engine) == [] and engine.store.manifest["lead_tokens"] == 0
    passages = engine.retrieve("When does the Aldmere swing bridge shut?", top_k=2)
    assert passages[0].article.doc_id == "harbour_bridge"
    with pytest.raises(IndexMismatchError, match="lead_tokens"):
        Store(make_settings(tmp_path, lead_tokens=32))


def test_an_index_from_before_article_vectors_answers_and_gains_them_on_ingest(
    fresh: Engine, docs: Path
) -> None:
    import json

    fresh.ingest([docs])
    # as the previous schema left it: no article vectors, no lead_tokens in the manifest
    with fresh.store.db.transaction() as tx:
        tx.execute("DELETE FROM article_vectors")
    path = fresh.settings.index_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    for key in ("lead_tokens", "lead_encoder"):
        del manifest[key]
    path.write_text(json.dumps({**manifest, "schema_version": 2}))

    old = Engine(fresh.settings, fresh.embedder)
    passages = old.retrieve("When does the Aldmere swing bridge shut?", top_k=2)
    assert passages[0].article.doc_id == "harbour_bridge"  # dense and BM25 only
    assert old.store.without_article_vectors() == ["harbour_bridge", "observatory", "rail_strike"]
    report = old.ingest([docs])
    assert len(report.unchanged) == 3 and report.chunks == 0  # no chunk embedded again
    assert sorted(article_vector_ids(old)) == ["harbour_bridge", "observatory", "rail_strike"]
    assert old.store.manifest["schema_version"] == 4 and old.store.manifest["lead_tokens"] == 32
    question = old.embedder.encode(["Why did the train drivers walk out?"])[0]
    assert old.store.leads(question, 3, None)[0] == "rail_strike"

    path.write_text(json.dumps({**manifest, "schema_version": 1}))
    with pytest.raises(IndexMismatchError, match="schema 1, this version reads 2, 3, 4"):
        Store(fresh.settings)
    (fresh.settings.index_dir / "uploads").mkdir()
    with pytest.raises(IndexMismatchError, match="uploads/ out first"):
        Store(fresh.settings)


def test_late_article_vectors_neither_revive_nor_overwrite(fresh: Engine, docs: Path) -> None:
    import numpy as np

    fresh.ingest([docs])
    store = fresh.store
    question = fresh.embedder.encode(["Why did the train drivers walk out?"])[0]
    fresh.remove(["observatory"])
    # computed before the remove and the latest ingest, stored after them
    stale = {"observatory": question, "rail_strike": -question}
    store.add_article_vectors(stale)
    assert sorted(article_vector_ids(fresh)) == ["harbour_bridge", "rail_strike"]
    assert store.leads(question, 3, None)[0] == "rail_strike"
    with pytest.raises(IndexMismatchError, match="384, the question 256 dimensions"):
        store.leads(np.ones(256, dtype=np.float32), 3, None)


def test_chunks_load_in_the_order_asked_across_statements(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.index import db

    monkeypatch.setattr(db, "IN_BATCH", 2)  # several IN (...) statements per call
    ids = engine.store.chunk_ids()
    asked = [*reversed(ids), "nowhere#0", ids[-1]]
    loaded = engine.store.chunks(asked)
    assert list(loaded) == list(reversed(ids))  # unknown ids left out, repeats once
    for cid, got in loaded.items():
        chunk, article = got.chunk, got.article
        assert chunk.chunk_id == cid and chunk.doc_id == article.doc_id
        assert article.text[chunk.char_start : chunk.char_end] == chunk.text
    vectors = engine.store.sentence_vectors(ids)
    assert set(vectors) == set(ids)
    assert all(len(v) == len(loaded[c].chunk.sentences) for c, v in vectors.items())
