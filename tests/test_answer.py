"""The extractive answerer: sentence vectors stored at ingest replace embedding per question."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.engine import Engine

from .conftest import FACTS


def test_retrieved_passages_carry_one_stored_vector_per_sentence(engine: Engine) -> None:
    passages = engine.retrieve("Who won the Brenholt chess tournament?")
    assert passages
    for p in passages:
        assert p.vectors is not None and p.vectors.shape == (len(p.chunk.sentences), 384)
        fresh = engine.embedder.encode([p.article.text[s:e] for s, e in p.chunk.sentences])
        # float16 storage; int8 quantises activations per batch, so batch-mates move a vector
        tol = 0.98 if engine.embedder.encoder == "onnx-int8" else 0.999
        assert (fresh * p.vectors).sum(axis=1).min() > tol


@pytest.mark.parametrize(("question", "doc_id", "must"), FACTS)
def test_stored_vectors_give_the_same_answer_without_encoding_sentences(
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
    assert stored.text == computed.text and stored.citations == computed.citations
    assert any(all(w in c.quote for w in must) for c in stored.citations)
