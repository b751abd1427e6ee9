"""Entities <-> rows: each article's sentence entities, written and deleted with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..types import Entity

if TYPE_CHECKING:
    from .db import Writer
    from .records import Records

# subtle: the tables are in db.py; entity_docs lists the articles whose sentences were read for
# entities, so an article with no entity is told apart from one stored with RAG_ENTITIES=false.


def insert(db: Writer, found: list[tuple[str, list[Entity] | None]]) -> None:
    """Store articles' entities: (doc_id, entities; None: not read for them, nothing stored)."""
    read = [(d, ents) for d, ents in found if ents is not None]
    db.executemany(
        "INSERT INTO sentence_entities VALUES (?,?,?,?,?)",
        [(d, e.start, e.end, e.label, e.text) for d, ents in read for e in ents],
    )
    db.executemany(
        "INSERT INTO entity_docs VALUES (?) ON CONFLICT DO NOTHING", [(d,) for d, _ in read]
    )


def delete(db: Writer, keys: list[tuple[str]]) -> None:
    """The entity rows of these articles: [(doc_id,), ...]."""
    db.executemany("DELETE FROM sentence_entities WHERE doc_id=?", keys)
    db.executemany("DELETE FROM entity_docs WHERE doc_id=?", keys)


def backfill(db: Writer, found: dict[str, tuple[str, list[Entity]]]) -> None:
    """Store entities read after the fact: doc_id -> (the content hash they were read from,
    entities). An article changed or removed meanwhile, or already read, is left alone."""
    for doc_id, (content, ents) in found.items():
        fresh = db.execute(
            "SELECT 1 FROM articles WHERE doc_id=? AND content_hash=? "
            "AND NOT EXISTS (SELECT 1 FROM entity_docs e WHERE e.doc_id = articles.doc_id)",
            (doc_id, content),
        ).fetchone()
        if fresh:
            insert(db, [(doc_id, ents)])


# -- reads (through the records' one connection and lock) -------------------------------------


def entities(records: Records, doc_ids: list[str]) -> dict[str, list[Entity]]:
    """doc_id -> its entities in text order (absent: none stored)."""
    out: dict[str, list[Entity]] = {}
    rows = records._rows_in(
        "SELECT doc_id, char_start, char_end, label, text FROM sentence_entities WHERE doc_id",
        doc_ids,
    )
    for row in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        out.setdefault(row[0], []).append(Entity(*row))
    return out


def entity_docs(records: Records, labels: frozenset[str]) -> list[tuple[str, str]]:
    """(entity text, doc_id) of every stored entity with one of these labels, once each."""
    marks = ",".join("?" * len(labels))
    return records._rows(
        f"SELECT DISTINCT text, doc_id FROM sentence_entities WHERE label IN ({marks})",
        tuple(sorted(labels)),
    )


def without_entities(records: Records) -> list[str]:
    """Doc ids of articles never read for entities (RAG_ENTITIES=false, or an older index)."""
    rows = records._rows(
        "SELECT doc_id FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM entity_docs e WHERE e.doc_id = a.doc_id) "
        "ORDER BY doc_id"
    )
    return [r[0] for r in rows]
