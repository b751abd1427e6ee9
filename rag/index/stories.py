"""Story rows <-> the records: each article's story and MinHash signature (rag/stories.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .records import Records

#: What a story listing holds per story (Engine.stories()).
STORY_KEYS = ("story", "headline", "outlets", "first", "last", "copies", "doc_ids")


def copy_order(published: str | None, text_chars: int, doc_id: str) -> tuple[Any, ...]:
    """Sort key of a story's copies: the earliest published first; among copies with the same
    date, or none, the fullest text first.

    >>> sorted([("2025-03-11", 90, "b"), ("2025-03-10", 80, "c"), (None, 99, "a")],
    ...        key=lambda r: copy_order(*r))
    [('2025-03-10', 80, 'c'), ('2025-03-11', 90, 'b'), (None, 99, 'a')]
    """
    return (published is None, published or "", -text_chars, doc_id)


class StoryRecords:
    """The `stories` table: rows go with their article (replaced or deleted with it)."""

    def __init__(self, records: Records) -> None:
        self.records = records

    def signatures(self) -> list[tuple[str, str, bytes]]:
        """(doc_id, story, signature bytes) of every grouped article."""
        return self.records._rows("SELECT doc_id, story, signature FROM stories ORDER BY doc_id")

    def ungrouped(self) -> list[str]:
        """Doc ids of articles without a story yet, earliest published first (they found
        the stories later copies join)."""
        rows = self.records._rows(
            "SELECT doc_id FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM stories s WHERE s.doc_id = a.doc_id) "
            "ORDER BY published IS NULL, published, length(text) DESC, doc_id"
        )
        return [r[0] for r in rows]

    def write(self, rows: Iterable[tuple[str, str, bytes]]) -> None:
        """Store (doc_id, story, signature) of articles still in the index, in one transaction."""
        with self.records.db.transaction() as tx:
            tx.executemany(
                "INSERT INTO stories SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM articles "
                "WHERE doc_id=?) ON CONFLICT(doc_id) DO UPDATE SET story=excluded.story, "
                "signature=excluded.signature",
                [(d, s, sig, d) for d, s, sig in rows],
            )
            self.records._bump(tx)

    def clear(self) -> None:
        """Forget every grouping (to regroup at another threshold)."""
        with self.records.db.transaction() as tx:
            tx.execute("DELETE FROM stories")
            self.records._bump(tx)

    def of(self, doc_ids: list[str]) -> dict[str, str]:
        """doc_id -> its story id, for the grouped ones among these articles."""
        rows = self.records._rows_in("SELECT doc_id, story FROM stories WHERE doc_id", doc_ids)
        return {r[0]: r[1] for r in rows}

    def copies(self, doc_id: str) -> list[str]:
        """The articles of doc_id's story (itself included), in copy order; [doc_id] alone
        when it is not grouped."""
        rows = self.records._rows(
            "SELECT a.doc_id FROM stories s JOIN articles a USING(doc_id) WHERE s.story = "
            "(SELECT story FROM stories WHERE doc_id=?) "
            "ORDER BY a.published IS NULL, a.published, length(a.text) DESC, a.doc_id",
            (doc_id,),
        )
        return [r[0] for r in rows] or [doc_id]

    def listing(self, grouped: bool, doc_ids: set[str] | None = None) -> list[dict[str, Any]]:
        """One dict per story (STORY_KEYS), the latest first; `grouped=False` makes every
        article its own story; `doc_ids` keeps only the stories with one of those articles."""
        story = "COALESCE(s.story, a.doc_id)" if grouped else "a.doc_id"
        rows = self.records._rows(
            f"SELECT {story}, a.doc_id, a.title, a.source, a.published, length(a.text) "
            "FROM articles a LEFT JOIN stories s USING(doc_id)"
        )
        members: dict[str, list[tuple[Any, ...]]] = {}
        for r in rows:
            members.setdefault(r[0], []).append(r[1:])
        out = []
        for sid, copies in members.items():
            if doc_ids is not None and not doc_ids.intersection(c[0] for c in copies):
                continue
            copies.sort(key=lambda c: copy_order(c[3], c[4], c[0]))
            dates = sorted(c[3] for c in copies if c[3])
            outlets = list(dict.fromkeys(c[2] for c in copies if c[2]))
            first, last = (dates[0], dates[-1]) if dates else (None, None)
            values = (sid, copies[0][1], outlets, first, last, len(copies), [c[0] for c in copies])
            out.append(dict(zip(STORY_KEYS, values, strict=True)))
        out.sort(key=lambda s: s["headline"])
        return sorted(out, key=lambda s: s["last"] or "", reverse=True)  # undated last
