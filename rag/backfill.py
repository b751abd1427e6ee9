"""What an index gets after its chunks: article vectors and named entities, at ingest or later.

An index from before either (schema 2 or 3), or built with RAG_ENTITIES=false, gets them on
its next ingest, without embedding its chunks again.
"""

from __future__ import annotations

from .embed import Embedder
from .index import Store, embed_text
from .segment import split_sentences
from .types import Article, Entity


def lead_text(article: Article, embedder: Embedder, pieces: int) -> str:
    """What an article vector embeds: the headline and the opening, `pieces` word pieces in all.

    News puts what the story is about first; one short vector per article also keeps a long
    article from outranking a short one by the number of its chunks (see retrieve.retrieve).
    """
    head = embed_text(article.title, article.text[: pieces * 40])  # ample: pieces are short
    return embedder.prefix(head, pieces)


def add_article_vectors(store: Store, embedder: Embedder, pieces: int, batch: int = 256) -> int:
    """Give every stored article without one its article vector; returns how many were added.

    An index from before article vectors (schema 2) gets them here, on its next ingest, without
    embedding its chunks again.
    """
    missing = store.without_article_vectors()
    encoder = embedder.articles
    for at in range(0, len(missing), batch):
        articles = [a for d in missing[at : at + batch] if (a := store.article(d)) is not None]
        vectors = encoder.encode([lead_text(a, encoder, pieces) for a in articles])
        store.add_article_vectors({a.doc_id: v for a, v in zip(articles, vectors, strict=True)})
    return len(missing)


def entities_by_doc(items: list[tuple[Article, list[tuple[int, int]]]]) -> dict[str, list[Entity]]:
    """doc_id -> the entities of each of its sentences, given as spans (a sentence repeated by
    chunk overlap is read once)."""
    from .entities import sentence_entities

    spans = {(a.doc_id, s, e): None for a, sentences in items for s, e in sentences}
    found: dict[str, list[Entity]] = {}
    for ent in sentence_entities([a.text for a, _ in items], spans):
        found.setdefault(ent.doc_id, []).append(ent)
    return found


def add_entities(store: Store, batch: int = 64) -> int:
    """Read every stored article never read for entities; returns how many were read.

    An index from before entities (schema 2 or 3), or built with RAG_ENTITIES=false, gets them
    here, on its next ingest, without embedding anything again.
    """
    missing = store.without_entities()
    hashes = store.hashes()
    for at in range(0, len(missing), batch):
        articles = [a for d in missing[at : at + batch] if d in hashes and (a := store.article(d))]
        found = entities_by_doc([(a, split_sentences(a.text)) for a in articles])
        store.add_entities(
            {a.doc_id: (hashes[a.doc_id].content_hash, found.get(a.doc_id, [])) for a in articles}
        )
    return len(missing)
