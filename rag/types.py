"""Frozen dataclasses passed between stages: Article, Sentence, Entity, Chunk, Passage, Citation,
Conflict, Answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Support = Literal["supported", "partial", "unsupported"]


@dataclass(frozen=True)
class Article:
    """One news article. `text` is what offsets index into."""

    doc_id: str
    title: str
    text: str
    source: str | None = None  # outlet, e.g. "POLITICO"
    published: str | None = None  # ISO date (YYYY-MM-DD) when known
    url: str | None = None
    author: str | None = None
    path: str | None = None  # file it came from


@dataclass(frozen=True)
class Sentence:
    """A sentence as a character span of its article's text."""

    doc_id: str
    char_start: int
    char_end: int
    text: str


@dataclass(frozen=True)
class Entity:
    """A named entity (PERSON, ORG, GPE, DATE, ...) as a character span of its article's text."""

    doc_id: str
    start: int
    end: int
    label: str
    text: str


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences embedded as one vector; id is `{doc_id}#{n}`."""

    chunk_id: str
    doc_id: str
    n: int
    char_start: int
    char_end: int
    text: str
    sentences: tuple[tuple[int, int], ...]  # sentence spans inside [char_start, char_end)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its article's metadata and fused score."""

    chunk: Chunk
    article: Article
    score: float
    rank: int
    # unit vectors of chunk.sentences, stored at ingest (None: the answerer embeds them itself)
    vectors: Any = field(default=None, repr=False, compare=False)
    # the named entities inside the chunk, stored at ingest (empty: none stored)
    entities: tuple[Entity, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Copy:
    """Another copy of a cited article's story (another outlet) that carries the quote too."""

    doc_id: str
    source: str | None
    published: str | None
    url: str | None


@dataclass(frozen=True)
class Citation:
    """A quoted span of an article. Invariant: article.text[char_start:char_end] == quote."""

    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    chunk_id: str
    char_start: int
    char_end: int
    quote: str
    n: int | None = None  # None for related passages, which are not citations
    also_reported_by: tuple[Copy, ...] = ()  # other copies of the story with the same sentence

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["also_reported_by"] = list(d["also_reported_by"])
        n = d.pop("n")
        return d if n is None else {"n": n, **d}


@dataclass(frozen=True)
class ConflictValue:
    """One article's value for a fact that articles report differently, and where it says so."""

    value: str
    citation: Citation

    def to_dict(self) -> dict[str, Any]:
        c = self.citation
        return {
            "value": self.value,
            "doc_id": c.doc_id,
            "source": c.source,
            "published": c.published,
            "quote": c.quote,
        }


@dataclass(frozen=True)
class Conflict:
    """A fact the articles give different values for; values newest first."""

    fact: str
    values: tuple[ConflictValue, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "values": [v.to_dict() for v in self.values]}


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citations: tuple[int, ...]
    support: Support = "supported"
    note: str = ""  # why a generated sentence is not fully supported, or was re-cited
    key: tuple[str, ...] = ()  # the words of a quote that answer the question (shown in bold)


@dataclass(frozen=True)
class Reply:
    """A language model's answer as written, citation markers included, before any check."""

    question: str
    text: str
    backend: str


@dataclass(frozen=True)
class Answer:
    """An answer whose every sentence cites numbered sources (numbered by first citation)."""

    question: str
    text: str
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    related: tuple[Citation, ...] = ()
    abstained: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    backend: str = "extractive"
    fallback: str | None = None  # why the LLM's answer was replaced by an extractive one
    query: str | None = None  # the standalone question retrieved for, when a follow-up
    as_of: str | None = None  # YYYY-MM-DD: nothing published after it was used
    # the publication dates the question's time words asked for: {from, to, recent, phrase}
    period: dict[str, Any] | None = None
    conflicts: tuple[Conflict, ...] = ()  # facts the passages report differently
    # why an abstention: what the closest passages lack ("give no number"), when known
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `rag ask --json` shape."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "sentences": [
                {"text": s.text, "citations": list(s.citations), "support": s.support}
                | ({"note": s.note} if s.note else {})
                | ({"key": list(s.key)} if s.key else {})
                for s in self.sentences
            ],
            "citations": [c.to_dict() for c in self.citations],
            "related": [c.to_dict() for c in self.related],
            "timings_ms": {k: round(v, 2) for k, v in self.timings.items()},
            "backend": self.backend,
            "fallback": self.fallback,
            "query": self.query,
            "as_of": self.as_of,
            "period": self.period,
            "conflicts": [c.to_dict() for c in self.conflicts],
            "reason": self.reason,
        }
