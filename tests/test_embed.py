"""The ONNX encoder against the torch one it was exported from, on the real model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from rag.embed import Embedder
from rag.settings import Settings

from .conftest import DATA

TEXTS = [
    "Who won the Brenholt chess tournament?",
    "The Aldmere swing bridge shuts for repairs on 14 March.",
    "ok",
    *(p.read_text(encoding="utf-8") for p in sorted(DATA.glob("*.txt"))),  # longer than 256 pieces
]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(Settings().embed_model, encoder="torch")


def onnx_embedder(encoder: str, tmp: Path | None = None) -> Embedder:
    s = Settings()
    return Embedder(s.embed_model, batch_size=4, encoder=encoder, cache_dir=tmp or s.cache_dir)


def test_onnx_fp32_matches_torch(torch_embedder: Embedder) -> None:
    ref = torch_embedder.encode(TEXTS)
    got = onnx_embedder("onnx").encode(TEXTS)  # batches of 4 of unequal length: padding
    assert got.shape == ref.shape
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * ref).sum(axis=1).min() > 1 - 1e-4


def test_onnx_int8_stays_close_to_torch(torch_embedder: Embedder) -> None:
    ref = torch_embedder.encode(TEXTS)
    got = onnx_embedder("onnx-int8").encode(TEXTS)
    cosine = (got * ref).sum(axis=1)
    assert cosine.min() > 0.95, cosine
    # what retrieval needs: each text stays nearest to its own torch vector
    assert (np.argmax(got @ ref.T, axis=1) == np.arange(len(TEXTS))).all()


def test_int8_weights_are_signed_only_on_a_cpu_with_vnni(tmp_path: Path) -> None:
    from rag.onnx_encoder import has_vnni

    info = tmp_path / "cpuinfo"
    info.write_text("processor : 0\nflags : fpu avx2 avx512f avx512_vnni\n")
    assert has_vnni(info)
    info.write_text("processor : 0\nflags : fpu avx2 fma\n")
    assert not has_vnni(info)
    assert not has_vnni(tmp_path / "missing")


def test_onnx_counts_and_sizes_like_torch(torch_embedder: Embedder) -> None:
    onnx = onnx_embedder("onnx")
    assert onnx.count_tokens(TEXTS) == torch_embedder.count_tokens(TEXTS)
    assert (onnx.dimension, onnx.max_tokens) == (torch_embedder.dimension, 256)


def test_a_single_question_is_encoded_on_every_core() -> None:
    """Both cores are faster even for one short text (docs/performance.md, levers)."""
    emb = onnx_embedder("onnx")
    emb.encode(["Who won the Brenholt chess tournament?"])
    opts = emb.onnx._session().get_session_options()
    assert opts.intra_op_num_threads == (os.cpu_count() or 1)


def test_export_is_cached_and_reused(tmp_path: Path) -> None:
    first = onnx_embedder("onnx", tmp_path)
    first.encode(["warm"])
    files = sorted(p.name for p in tmp_path.rglob("*.onnx"))
    assert files == ["states.onnx"]
    stamp = next(tmp_path.rglob("states.onnx")).stat().st_mtime_ns
    onnx_embedder("onnx", tmp_path).encode(["again"])
    assert next(tmp_path.rglob("states.onnx")).stat().st_mtime_ns == stamp


# -- late chunking: sentence vectors pooled out of the chunk's own pass ----------------------

STORY = (
    "Bakery turns fifty\nMaria Keller runs the Quay Street bakery in Aldmere. She opened it in "
    "1976 with a loan from her uncle. The council gave the shop a heritage plaque on Monday."
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    from rag.segment import split_sentences

    return split_sentences(text)


@pytest.mark.parametrize("encoder", ["onnx", "onnx-int8", "torch", "static"])
def test_one_pass_gives_the_texts_vector_and_each_sentences(
    encoder: str, torch_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = torch_embedder if encoder == "torch" else onnx_embedder(encoder)
    spans = sentence_spans(STORY)
    encoded: list[list[str]] = []
    real = emb.encode
    monkeypatch.setattr(emb, "encode", lambda texts: encoded.append(list(texts)) or real(texts))
    got = emb.encode_spans([STORY], [spans])[0]
    assert got.shape == (1 + len(spans), emb.dimension)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    whole = real([STORY])[0]
    assert float(got[0] @ whole) > (0.99 if encoder == "onnx-int8" else 0.9999)
    own = real([STORY[s:e] for s, e in spans])
    # each pooled sentence still resembles itself encoded alone (less so for later sentences:
    # their pieces have read the whole chunk, which is why docs/performance.md compares both)
    assert np.diag(got[1:] @ own.T).min() > 0.45
    if encoder == "static":  # a table of word pieces: pooling a span is encoding it
        assert np.allclose(got[1:], own, atol=1e-5)
    else:  # the sentences were never encoded again
        assert encoded == []


def test_a_pooled_sentence_knows_whom_its_pronoun_means() -> None:
    emb = onnx_embedder("onnx")
    spans = sentence_spans(STORY)
    pooled = emb.encode_spans([STORY], [spans])[0][1:]
    alone = emb.encode([STORY[s:e] for s, e in spans])
    question = emb.encode(["When did Maria Keller open her bakery?"])[0]
    she = next(i for i, (s, _) in enumerate(spans) if STORY[s:].startswith("She opened"))
    assert float(pooled[she] @ question) > float(alone[she] @ question) + 0.05


@pytest.mark.parametrize("encoder", ["onnx", "torch"])
def test_pooled_chunks_read_each_sentence_once_and_keep_its_own_vector(
    encoder: str, torch_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.indexer import chunk_article
    from rag.late_chunking import embed_chunks
    from rag.types import Article

    emb = torch_embedder if encoder == "torch" else onnx_embedder(encoder)
    text = (DATA / "harbour_bridge.txt").read_text(encoding="utf-8")
    article = Article("harbour_bridge", "Harbour bridge", text)
    pairs = [(article, c) for c in chunk_article(article, emb)]
    chunk_pass, alone = embed_chunks(pairs, emb, "separate")
    read: list[str] = []
    real = emb.encode_sums
    monkeypatch.setattr(emb, "encode_sums", lambda texts: read.extend(texts) or real(texts))
    pooled, sentences = embed_chunks(pairs, emb, "pooled")
    want = ["Harbour bridge", *(text[s:e] for _, c in pairs for s, e in c.sentences)]
    assert sorted(read) == sorted(dict.fromkeys(want))  # the headline and each sentence, once
    for a, b in zip(alone, sentences, strict=True):  # a sentence's vector is its own pass
        assert (a * b).sum(axis=1).min() > 0.9999
    # a chunk's vector: the mean of its headline's and sentences' states, near its own pass
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-5)
    assert (pooled * chunk_pass).sum(axis=1).min() > 0.85


def test_a_span_without_word_pieces_is_encoded_on_its_own() -> None:
    emb = onnx_embedder("onnx")
    text = "A short line.   And another."
    got = emb.encode_spans([text], [[(0, 13), (13, 16)]])[0]  # the second span: blanks only
    assert not np.isnan(got).any()
    assert float(got[2] @ emb.encode([text[13:16]])[0]) > 0.999


# -- the static encoder: a word-piece table distilled from the same model --------------------


@pytest.fixture(scope="module")
def static_embedder() -> Embedder:
    return onnx_embedder("static")  # distilled into the shared cache on first use (~30 s)


def test_static_encoder_shape_counts_and_cache(
    static_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    vecs = static_embedder.encode(TEXTS)
    assert vecs.shape == (len(TEXTS), 256)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    # chunks are sized exactly as for the transformer
    assert static_embedder.count_tokens(TEXTS) == onnx_embedder("onnx").count_tokens(TEXTS)
    assert static_embedder.max_tokens == 256
    # a second encoder loads the cached table: distilling again would fail here
    import rag.static_encoder as static

    def no_distill(*_: object) -> None:
        raise AssertionError("distilled again instead of using the cache")

    monkeypatch.setattr(static, "_distill", no_distill)
    again = onnx_embedder("static").encode(TEXTS)
    assert np.allclose(again, vecs, atol=1e-6)  # no batch effects: a lookup table


def test_static_encoder_ranks_the_matching_sentence_first(static_embedder: Embedder) -> None:
    sentences = [
        "The Aldmere swing bridge shuts for repairs on 14 March.",
        "Astronomers at the hill observatory photographed a comet.",
        "Train drivers walked out over pay, stopping services to the coast.",
        "The museum reported that two paintings were stolen overnight.",
    ]
    questions = [
        "When does the swing bridge close for repair work?",
        "What did the observatory's astronomers take a picture of?",
        "Why did the train drivers strike?",
        "What was taken from the museum?",
    ]
    sims = static_embedder.encode(questions) @ static_embedder.encode(sentences).T
    assert (sims.argmax(axis=1) == np.arange(len(questions))).all(), sims


def test_static_encoder_loads_without_torch(static_embedder: Embedder) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from rag.embed import Embedder\n"
        "from rag.settings import Settings\n"
        "e = Embedder(Settings().embed_model, encoder='static')\n"
        "print(e.encode(['a question']).shape)\n"
        "assert 'torch' not in sys.modules and 'onnxruntime' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "(1, 256)" in out.stdout


@pytest.mark.parametrize("encoder", ["onnx", "torch"])
def test_prefix_holds_at_most_the_asked_word_pieces(encoder: str, torch_embedder: Embedder) -> None:
    embedder = torch_embedder if encoder == "torch" else onnx_embedder("onnx")
    text = "\n".join(TEXTS[3:])  # far longer than 101 pieces
    for pieces in (1, 7, 32, 100):
        head = embedder.prefix(text, pieces)
        assert text.startswith(head) and head
        assert embedder.count_tokens([head])[0] <= pieces
        assert embedder.count_tokens([head])[0] == pieces  # the longest: the text is longer
        assert len(embedder.prefix(text, pieces + 1)) > len(head)
    assert embedder.prefix("ok", 32) == "ok"
    assert embedder.prefix(text, 0) == ""


def test_article_vectors_come_from_the_transformer(static_embedder: Embedder) -> None:
    onnx = onnx_embedder("onnx")
    assert onnx.articles is onnx  # the model itself
    articles = static_embedder.articles
    assert articles.encoder == "onnx" and articles is static_embedder.articles
    assert articles.encode(["a question"]).shape == (1, 384)


def test_clearing_the_cache_clears_the_article_encoders_too(static_embedder: Embedder) -> None:
    static_embedder.articles.encode_cached(["a question"])
    assert static_embedder.articles._cache
    static_embedder.clear_cache()
    assert not static_embedder.articles._cache
