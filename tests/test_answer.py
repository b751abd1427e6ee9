"""The extractive answerer: sentence vectors stored at ingest replace embedding per question."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.engine import Engine

from .conftest import DATA, FACT_PARAMS, make_settings


def test_retrieved_passages_carry_one_stored_vector_per_sentence(engine: Engine) -> None:
    passages = engine.retrieve("Who won the Brenholt chess tournament?")
    assert passages
    assert engine.store.manifest["sentence_pooling"] == "pooled"  # the default
    for p in passages:
        assert p.vectors is not None and p.vectors.shape == (len(p.chunk.sentences), 384)
        # each sentence's own pass (the chunk's vector is pooled from them)
        fresh = engine.embedder.encode([p.article.text[s:e] for s, e in p.chunk.sentences])
        # float16 storage; int8 quantises activations per batch, so batch-mates move a vector
        tol = 0.98 if engine.embedder.encoder == "onnx-int8" else 0.999
        assert (fresh * p.vectors).sum(axis=1).min() > tol


@pytest.mark.parametrize("pooling", ["late", "separate"])
def test_each_way_of_making_vectors_stores_what_it_says(
    pooling: str, tmp_path: Path, embedder: Embedder
) -> None:
    from rag.late_chunking import embed_chunks

    engine = Engine(make_settings(tmp_path, sentence_vectors=pooling), embedder)
    assert engine.ingest([DATA]).exit_code == 0
    assert engine.store.manifest["sentence_pooling"] == pooling
    for p in engine.retrieve("Who won the Brenholt chess tournament?"):
        want = embed_chunks([(p.article, p.chunk)], embedder, pooling)[1][0]
        tol = 0.98 if embedder.encoder == "onnx-int8" else 0.999
        assert (want * p.vectors).sum(axis=1).min() > tol


def test_an_index_keeps_the_way_it_was_built(tmp_path: Path, embedder: Embedder) -> None:
    first = sorted(DATA.glob("*.txt"))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / first[0].name).write_text(first[0].read_text())
    engine = Engine(make_settings(tmp_path, sentence_vectors="late"), embedder)
    assert engine.ingest([tmp_path / "in"]).exit_code == 0
    (tmp_path / "in" / first[1].name).write_text(first[1].read_text())
    later = Engine(make_settings(tmp_path, sentence_vectors="separate"), embedder)
    assert later.ingest([tmp_path / "in"]).exit_code == 0
    assert later.store.manifest["sentence_pooling"] == "late"  # not two kinds in one index
    from rag.late_chunking import embed_chunks

    ids = [c for c in later.store.chunk_ids() if c.startswith(first[1].stem + "#")]
    stored, got = later.store.sentence_vectors(ids), later.store.chunks(ids)
    for cid in ids:
        want = embed_chunks([(got[cid].article, got[cid].chunk)], embedder, "late")[1][0]
        assert (want * stored[cid]).sum(axis=1).min() > 0.98


@pytest.mark.parametrize(("question", "doc_id", "must"), FACT_PARAMS)
def test_stored_vectors_answer_without_encoding_sentences(
    engine: Engine, question: str, doc_id: str, must: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    passages = engine.retrieve(question)
    vector = engine.embedder.encode([question])[0]
    encoded: list[str] = []
    real = engine.embedder.encode

    def spy(texts: list[str]):  # type: ignore[no-untyped-def]
        encoded.extend(texts)
        return real(texts)

    monkeypatch.setattr(engine.embedder, "encode", spy)
    stored = engine.backend.answer(question, passages, vector)
    assert encoded == []  # the answer needed no sentence embedded at question time
    engine.embedder.clear_cache()
    computed = engine.backend.answer(question, [replace(p, vectors=None) for p in passages], vector)
    assert encoded  # without stored vectors the sentences are embedded
    for answer in (stored, computed):  # pooled or encoded alone, the same evidence is found
        assert any(all(w in c.quote for w in must) for c in answer.citations)
