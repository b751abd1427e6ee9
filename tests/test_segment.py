from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.index import embed_text
from rag.indexer import chunk_article
from rag.segment import make_chunks, split_sentences
from rag.types import Article

SEED = Path(__file__).parent.parent / "seeds" / "000_f647ec2645e8b019.txt"


def test_sentence_offsets_slice_back_to_sentences() -> None:
    text = SEED.read_text()
    spans = split_sentences(text)
    assert len(spans) > 20
    for s, e in spans:
        sent = text[s:e]
        assert sent == sent.strip() and sent
        assert "\n" not in sent
    # abbreviations do not end sentences; the closing quote stays with its sentence
    sentences = [text[s:e] for s, e in spans]
    assert "A U.K. government spokesperson declined to comment." in sentences
    assert any(x.endswith("provide further updates shortly.”") for x in sentences)


def test_line_breaks_end_sentences() -> None:
    text = "Headline without a full stop\nBody sentence one. Body two."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Headline without a full stop",
        "Body sentence one.",
        "Body two.",
    ]


def test_chunks_fit_what_the_model_reads(embedder) -> None:  # type: ignore[no-untyped-def]
    body = " ".join(
        f"Sentence number {i} talks about the harbour and the bridge." for i in range(200)
    )
    article = Article("long", "A long article", body)
    chunks = chunk_article(article, embedder)
    assert len(chunks) > 3
    texts = [embed_text(article.title, c.text) for c in chunks]
    # measured with the model's own tokenizer, special tokens included
    sizes = [len(ids) for ids in embedder.model.tokenizer(texts)["input_ids"]]
    assert max(sizes) <= embedder.max_tokens
    assert [c.chunk_id for c in chunks] == [f"long#{i}" for i in range(len(chunks))]
    # chunks tile the text in order and hold whole sentences
    for c in chunks:
        assert body[c.char_start : c.char_end] == c.text
        assert c.text.endswith(".")
    assert chunks[-1].char_end == len(body)


def test_overlong_sentence_is_split_not_truncated(embedder) -> None:  # type: ignore[no-untyped-def]
    words = " ".join(f"word{i}" for i in range(1500))
    article = Article("run-on", "Run-on", words + ".")
    chunks = chunk_article(article, embedder)
    assert len(chunks) > 1
    covered = "".join(c.text + " " for c in chunks).split()
    assert covered == (words + ".").split()  # every word is in some chunk
    sizes = embedder.count_tokens([embed_text("Run-on", c.text) for c in chunks])
    assert max(sizes) <= embedder.max_tokens - 2


def test_overlap_repeats_sentences() -> None:
    text = "One. Two. Three. Four."
    spans = split_sentences(text)
    chunks = make_chunks("d", text, spans, lambda ts: [5] * len(ts), budget=10, overlap=1)
    assert [c.text for c in chunks] == ["One. Two.", "Two. Three.", "Three. Four."]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .?!\n\t“”’U.K.é")), max_size=300))
def test_offsets_always_slice_back(text: str) -> None:
    spans = split_sentences(text)
    prev_end = 0
    for s, e in spans:
        assert prev_end <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()
        prev_end = e
    chunks = make_chunks("d", text, spans, lambda ts: [len(t.split()) for t in ts], budget=5)
    for c in chunks:
        assert text[c.char_start : c.char_end] == c.text
        assert c.sentences and all(s < c.char_end and e > c.char_start for s, e in c.sentences)
