"""(claim, article) -> whether the article backs the claim: score, label and the sentence that does.

What `rag check` runs: one claim against an indexed article (by doc_id) or a file, or a JSON
Lines file of `{"claim": str, "doc": str}` pairs (other fields ignored), one verdict a line in
input order. The article is cut into the index's chunks, and the support checker (RAG_VERIFIER)
judges the claim against the four sharing most terms with it: the sentences that back it best
decide.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .embed import Embedder
from .errors import RagError
from .text import terms
from .types import Article, Passage, Support
from .verify import Checker

CHECKED_CHUNKS = 4  # chunks of each article judged for a claim: those sharing most terms with it


@dataclass(frozen=True)
class Verdict:
    """The checker's answer for one claim, and the article sentence closest to backing it."""

    score: float
    label: Support
    quote: str | None  # the closest sentence; evidence only when the label is not unsupported
    doc_id: str | None = None
    char_start: int | None = None
    char_end: int | None = None
    missing: tuple[str, ...] = ()  # facts of the claim the article does not hold
    doer: str | None = None  # who the evidence says did it, when the claim says another
    flaws: tuple[str, ...] = ()  # what else the claim says that the evidence does not

    @property
    def evidence(self) -> str | None:
        return None if self.label == "unsupported" else self.quote

    def to_dict(self) -> dict[str, Any]:
        """The `rag check --json` line: score, label, evidence (null when unsupported) first."""
        out: dict[str, Any] = {"score": self.score, "label": self.label, "evidence": self.evidence}
        if self.doc_id is not None:
            out |= {"doc_id": self.doc_id, "char_start": self.char_start, "char_end": self.char_end}
        if self.evidence is None and self.quote is not None:
            out["closest"] = self.quote
        out |= {"missing": list(self.missing)} if self.missing else {}
        out |= {"flaws": list(self.flaws)} if self.flaws else {}
        return out | ({"doer": self.doer} if self.doer else {})


def article_passages(
    article: Article, embedder: Embedder, sentence_vectors: str = "separate"
) -> list[Passage]:
    """The article cut as the index cuts it, each chunk a passage; with "late", each carries
    the sentence vectors such an index stores (otherwise the checker encodes each sentence on
    its own, which is what "pooled" and "separate" indexes store)."""
    from .indexer import chunk_article
    from .late_chunking import embed_chunks

    chunks = chunk_article(article, embedder)
    vectors: list[Any] = [None] * len(chunks)
    if sentence_vectors == "late":
        vectors = embed_chunks([(article, c) for c in chunks], embedder, "late")[1]
    pairs = enumerate(zip(chunks, vectors, strict=True))
    return [Passage(c, article, 0.0, i, v) for i, (c, v) in pairs]


def check_claim(
    claim: str,
    articles: list[Article],
    checker: Checker,
    embedder: Embedder,
    sentence_vectors: str = "separate",
) -> Verdict:
    """Judge one claim against whole articles: each chunk on its own, the best one decides.

    subtle: chunks are judged one by one, not together: together, the facts of one chunk and
    the closest sentence of another can look like support that neither gives.
    """
    cut = (article_passages(a, embedder, sentence_vectors) for a in articles)
    passages = [p for chunks in cut for p in likeliest(claim, chunks)]
    judged = [checker.judge(claim, [p]) for p in passages]
    if not judged:
        raise RagError("the article has no text to check against")
    j = max(judged, key=lambda x: x.score)
    if j.passage is None:
        return Verdict(round(j.score, 4), j.label, None, missing=j.missing)
    art = j.passage.article
    quote = art.text[j.start : j.end]
    return Verdict(round(j.score, 4), j.label, quote, art.doc_id, j.start, j.end, j.missing,
                   j.doer, j.flaws)  # fmt: skip


def likeliest(claim: str, passages: list[Passage], keep: int = CHECKED_CHUNKS) -> list[Passage]:
    """The chunks sharing most content terms with the claim (earlier first on ties): a long
    article's other chunks rarely back it better than these, and judging every one of a
    6,121-word article's 33 chunks took up to half a second a claim."""
    want = set(terms(claim))
    shared = [len(want & set(terms(p.chunk.text))) for p in passages]
    order = sorted(range(len(passages)), key=lambda i: (-shared[i], i))[:keep]
    return [passages[i] for i in sorted(order)]


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """(claim, document) from each line; a bad line is an error naming it, before any work."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise RagError(f"cannot read {path}: {err} — give a UTF-8 JSON Lines file") from err
    pairs = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            raise RagError(f"{path}:{n}: not JSON ({err.msg}) — one object a line") from err
        if not isinstance(rec, dict) or not all(
            isinstance(rec.get(k), str) for k in ("claim", "doc")
        ):
            raise RagError(f'{path}:{n}: needs string fields "claim" and "doc"')
        pairs.append((rec["claim"], rec["doc"]))
    return pairs


def check_pairs(
    pairs: list[tuple[str, str]],
    checker: Checker,
    embedder: Embedder,
    sentence_vectors: str = "separate",
) -> Iterator[Verdict]:
    """One verdict per (claim, document) pair, in order."""
    for n, (claim, doc) in enumerate(pairs, 1):
        article = Article(f"pair/{n}", "", doc)
        yield check_claim(claim, [article], checker, embedder, sentence_vectors)


def load_source(source: str, article: Any) -> list[Article]:
    """An indexed doc_id (looked up with `article`, when there is an index) or a file's
    articles (a feed holds several)."""
    if article is not None:
        found = article(source)
        if found is not None:
            return [found]
    path = Path(source)
    if not path.exists():
        raise RagError(
            f"'{source}' is neither an indexed article nor a file — give a doc_id from "
            "`rag stats`/the Library tab, or the path of a .txt, .md, .html, .pdf or .jsonl file"
        )
    from .ingest import SourceFile, read_file

    articles, _ = read_file(SourceFile(path.resolve(), path.resolve().parent))
    return articles
