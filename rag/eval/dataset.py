"""Eval-set JSON Lines + corpus -> Items, and where each gold quote sits in the corpus.

Gold matching: a quote's spans are every place it occurs in its document (or in a document
ingested as a duplicate of it); an answer matches when it contains an accepted answer after
normalisation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError
from ..text import normalise, strip_markers
from ..types import Article

Span = tuple[str, int, int]  # (doc_id, char_start, char_end)
Gold = list[list[Span]]  # per evidence entry of an item, every place its quote occurs


@dataclass(frozen=True)
class Item:
    """One eval-set record (eval/README.md); choices/choice only for multiple-choice sets."""

    id: str
    question: str
    answers: list[str]
    evidence: list[tuple[str, str]]  # (doc, quote)
    answerable: bool
    choices: list[str] | None = None
    choice: int | None = None
    as_of: str | None = None  # YYYY-MM-DD the question is asked on (default today)


def load_set(path: Path, limit: int | None = None) -> list[Item]:
    items = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            items.append(
                Item(
                    str(r["id"]),
                    r["question"],
                    list(r.get("answers", [])),
                    [(e["doc"], e["quote"]) for e in r.get("evidence", [])],
                    bool(r.get("answerable", True)),
                    r.get("choices"),
                    r.get("choice"),
                    r.get("as_of"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise RagError(f"{path} line {lineno}: not an eval record ({err})") from err
        if limit is not None and len(items) >= limit:
            break
    if not items:
        raise RagError(f"{path} holds no questions")
    return items


def read_corpus(corpus: Path) -> dict[str, Article]:
    """doc_id -> Article, read exactly as `rag ingest` reads it."""
    from ..ingest import discover, iter_articles

    files, _, _ = discover([corpus])
    return {a.doc_id: a for _, arts, _ in iter_articles(files) for a in arts}


def gold_spans(item: Item, texts: dict[str, str]) -> tuple[Gold, list[str]]:
    """Per evidence entry, every place its quote occurs (in its doc or a same-text twin)."""
    twins: dict[str, list[str]] = {}
    for doc, text in texts.items():
        twins.setdefault(text, []).append(doc)
    spans, problems = [], []
    for doc, quote in item.evidence:
        found: list[Span] = []
        for twin in twins.get(texts.get(doc, "\0"), [doc]):
            text = texts.get(twin, "")
            at = text.find(quote) if quote else -1
            while at >= 0:
                found.append((twin, at, at + len(quote)))
                at = text.find(quote, at + 1)
        if not found:
            problems.append(f"{item.id}: quote not found in '{doc}': {quote[:60]!r}")
        spans.append(found)
    return spans, problems


def overlaps(a: Span, b: Span) -> bool:
    """Same document, at least one character in common."""
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def contains_answer(text: str, answers: list[str]) -> bool:
    """Whether an accepted answer occurs in the text, on whole words after normalisation.

    contains_answer("They met in WASHINGTON, D.C. [1]", ["Washington"]) -> True
    """
    hay = f" {normalise(strip_markers(text))} "
    return any(norm and f" {norm} " in hay for norm in map(normalise, answers))
