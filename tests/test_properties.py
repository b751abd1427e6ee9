"""Property tests: readers keep the text exactly, so sentence and chunk offsets slice back."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rag.errors import RejectedFile
from rag.index import embed_text
from rag.indexer import chunk_article
from rag.ingest import SourceFile, read_file
from rag.segment import _windows, split_sentences
from rag.types import Article

# Any text a file can hold: no NUL (that is binary), no lone surrogates (not encodable).
ANY_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
# Prose-like text: words, punctuation, quotes, line breaks, other scripts.
PROSE = st.lists(
    st.one_of(
        st.sampled_from(["The", "mayor", "U.K.", "Dr.", "said", "3.5", "km", "“Yes.”", "新闻"]),
        st.sampled_from([". ", "? ", "! ", " ", "\n", "\n\n", ", ", " — ", "\t", "\r\n"]),
        st.text(alphabet=ANY_CHAR, min_size=1, max_size=12),
    ),
    max_size=120,
).map("".join)
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_bytes_as(name: str, data: bytes) -> tuple[list[Article], list]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return read_file(SourceFile(path, Path(tmp)))


def check_spans(text: str) -> list[tuple[int, int]]:
    spans = split_sentences(text)
    prev = 0
    for s, e in spans:
        assert prev <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip() and "\n" not in text[s:e]
        prev = e
    return spans


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(PROSE, st.text(alphabet=ANY_CHAR, max_size=400)), utf16=st.booleans())
def test_text_reader_keeps_the_text_so_offsets_index_the_file(text: str, utf16: bool) -> None:
    assume(not text.startswith("\ufeff"))  # a leading BOM is read as the encoding mark
    data = text.encode("utf-16" if utf16 else "utf-8")
    if not text.strip():
        with pytest.raises(RejectedFile, match="empty"):
            read_bytes_as("a.txt", data)
        return
    [article], bad = read_bytes_as("a.txt", data)
    assert article.text == text and not bad
    for s, e in check_spans(article.text):
        assert text[s:e] == article.text[s:e]


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(st.one_of(PROSE, st.text(alphabet=ANY_CHAR, max_size=80)), max_size=6))
def test_feed_reader_keeps_each_record_text(texts: list[str]) -> None:
    lines = [json.dumps({"title": f"t{i}", "text": t}) for i, t in enumerate(texts)]
    usable = [(i, t) for i, t in enumerate(texts) if t.strip()]
    data = "\n".join(lines).encode()
    if not usable:
        with pytest.raises(RejectedFile, match="no usable articles|empty file"):
            read_bytes_as("feed.jsonl", data)
        return
    articles, bad = read_bytes_as("feed.jsonl", data)
    assert [(a.doc_id, a.text) for a in articles] == [(f"feed/{i}", t) for i, t in usable]
    assert len(bad) == len(texts) - len(usable)
    for a in articles:
        check_spans(a.text)


@SLOW
@given(text=PROSE, overlap=st.integers(0, 2))
def test_chunks_slice_back_fit_the_model_and_cover_every_sentence(
    embedder, text: str, overlap: int
) -> None:  # type: ignore[no-untyped-def]
    article = Article("d", "A headline", text)
    chunks = chunk_article(article, embedder, overlap)
    spans = split_sentences(text)
    assert bool(chunks) == bool(spans)
    for n, c in enumerate(chunks):
        assert c.chunk_id == f"d#{n}" and text[c.char_start : c.char_end] == c.text
        assert all(text[s:e] for s, e in c.sentences)
    if chunks:
        tokenized = embedder.model.tokenizer([embed_text("A headline", c.text) for c in chunks])
        assert max(len(ids) for ids in tokenized["input_ids"]) <= embedder.max_tokens
    covered = [(c.char_start, c.char_end) for c in chunks]
    for s, e in spans:  # every sentence (or each piece of an overlong one) is in some chunk
        assert any(cs < e and ce > s for cs, ce in covered)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab .?!")), max_size=400), size=st.integers(2, 50)
)
def test_long_lines_are_cut_into_pieces_that_tile_the_line(text: str, size: int) -> None:
    pieces = _windows(text, 0, len(text), size)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    for (_, e), (s, _) in zip(pieces, pieces[1:], strict=False):
        assert e == s
    assert all(e - s <= size for s, e in pieces[:-1]) and pieces[-1][1] - pieces[-1][0] <= size


def test_a_line_longer_than_the_window_still_slices_back() -> None:
    text = "Lead in. " + "".join(f"Item {i} cost {i}.5 crowns, Dr. Lund said. " for i in range(900))
    assert "\n" not in text and len(text) > 30_000
    spans = check_spans(text)
    assert text[spans[1][0] : spans[1][1]] == "Item 0 cost 0.5 crowns, Dr. Lund said."
    assert len(spans) > 900
