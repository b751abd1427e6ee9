"""Chunk texts -> PostgreSQL full-text rows (a tsvector per chunk, GIN-indexed), and queries ->
chunk ids ranked by ts_rank_cd: the lexical search of a PostgreSQL index, in place of bm25/.

The terms are rag.text's own (stemmed, stopwords out), written as tsvector and tsquery literals
rather than parsed by a PostgreSQL text search configuration: a chunk is found by the same
words as with BM25, in every replica, with nothing kept in the index folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..text import terms
from .data import ArticleWrite, embed_text

if TYPE_CHECKING:
    from .db import Database, Writer

#: ts_rank_cd normalisation: 1 divides by 1 + log(length), so long chunks don't win on bulk.
NORMALISATION = 1
#: Longer terms are left out: PostgreSQL refuses a lexeme of 2 KB or more (a run of letters
#: with no space in a garbled text), and no question would name one.
MAX_TERM = 200


def _lexeme(term: str) -> str:
    r"""A term as a quoted tsvector/tsquery lexeme.

    >>> _lexeme("o'neill"), _lexeme("a\\b")
    ("'o''neill'", "'a\\\\b'")
    """
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector(text: str) -> str:
    """A text's terms as a tsvector literal, each with its positions (for cover density).

    >>> tsvector("Ships sail; ships sink.")
    "'ship':1,3 'sail':2 'sink':4"
    """
    at: dict[str, list[int]] = {}
    for i, term in enumerate(terms(text)[:16383], start=1):  # positions stop at 16,383
        if len(term) <= MAX_TERM:
            at.setdefault(term, []).append(i)
    return " ".join(f"{_lexeme(t)}:{','.join(map(str, p))}" for t, p in at.items())


def tsquery(query: str) -> str | None:
    """A question's terms as a tsquery that any of them matches; None when it has none.

    >>> tsquery("Who sank the ships?")
    "'sank' | 'ship'"
    """
    found = [t for t in dict.fromkeys(terms(query)) if len(t) <= MAX_TERM]
    return " | ".join(map(_lexeme, found)) if found else None


class FullText:
    """The `chunk_terms` rows, written and deleted with their article's (a Records hook)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, tx: Writer, it: ArticleWrite) -> None:
        title = it.article.title
        tx.executemany(
            "INSERT INTO chunk_terms VALUES (?, ?, CAST(? AS tsvector))",
            [(c.chunk_id, c.doc_id, tsvector(embed_text(title, c.text))) for c in it.chunks],
        )

    def delete(self, tx: Writer, doc_id: str) -> None:
        tx.execute("DELETE FROM chunk_terms WHERE doc_id=?", (doc_id,))

    def search(self, query: str, n: int, allowed: set[str] | None) -> list[str]:
        """Chunk ids by rank, best first; `allowed` restricts to those doc_ids."""
        q = tsquery(query)
        if q is None or n <= 0:
            return []
        where = "terms @@ CAST(? AS tsquery)"
        params: list[object] = [q, q]
        if allowed is not None:
            if not allowed:
                return []
            where += " AND doc_id = ANY(?)"
            params.append(sorted(allowed))
        rows = self.db.rows(
            f"SELECT chunk_id FROM (SELECT chunk_id, ts_rank_cd(terms, CAST(? AS tsquery), "
            f"{NORMALISATION}) AS rank FROM chunk_terms WHERE {where}) AS hit "
            "ORDER BY rank DESC, chunk_id LIMIT ?",
            (*params, n),
        )
        return [r[0] for r in rows]

    def rebuild(self) -> None:
        """Nothing to do: the rows are written with their chunks."""
