"""The ONNX encoder against the torch one it was exported from, on the real model."""

from __future__ import annotations

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


def test_onnx_counts_and_sizes_like_torch(torch_embedder: Embedder) -> None:
    onnx = onnx_embedder("onnx")
    assert onnx.count_tokens(TEXTS) == torch_embedder.count_tokens(TEXTS)
    assert (onnx.dimension, onnx.max_tokens) == (torch_embedder.dimension, 256)


def test_export_is_cached_and_reused(tmp_path: Path) -> None:
    first = onnx_embedder("onnx", tmp_path)
    first.encode(["warm"])
    files = sorted(p.name for p in tmp_path.rglob("*.onnx"))
    assert files == ["model.onnx"]
    stamp = next(tmp_path.rglob("model.onnx")).stat().st_mtime_ns
    onnx_embedder("onnx", tmp_path).encode(["again"])
    assert next(tmp_path.rglob("model.onnx")).stat().st_mtime_ns == stamp


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
