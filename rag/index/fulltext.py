"""Chunk texts -> PostgreSQL full-text rows (a tsvector per chunk, GIN-indexed), and queries ->
chunk ids by BM25: the lexical search of a PostgreSQL index, in place of bm25/.

The terms are rag.text's own (stemmed, stopwords out), written as tsvector and tsquery literals
rather than parsed by a PostgreSQL text search configuration, so a chunk is found by the same
words as with bm25s. The score is bm25s's (Lucene's BM25, k1 1.5, b 0.75), computed in SQL
from each chunk's term counts (the positions in its tsvector) and length, and each term's
document frequency, kept in `term_df` and `fulltext_totals` as chunks are written and deleted.

PostgreSQL's own ranking, ts_rank_cd, weighs every term alike: on RealTime QA 2023 it found
a gold article in the first five lexical results for 16% of the questions, against 40% for
bm25s on the same chunks (docs/deployment.md); hence BM25 here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..text import terms
from .data import ArticleWrite, embed_text

if TYPE_CHECKING:
    from .db import Database, Writer

#: Longer terms are left out: PostgreSQL refuses a lexeme of 2 KB or more (a run of letters
#: with no space in a garbled text), and no question would name one.
MAX_TERM = 200
K1, B = 1.5, 0.75  # bm25s's defaults
#: Chunks a query scores at most, about: the rarest terms choose the candidates until their
#: chunks reach this many, the others only add to those chunks' scores. A chunk holding only
#: the question's commonest words (in every other chunk) is then not listed.
CANDIDATES = 5_000

#: Each candidate's tsvector is cut down to the question's terms (setweight marks them, ts_filter
#: keeps them), whose positions count their occurrences.
_SCORE = """
SELECT c.chunk_id, SUM(q.idf * cardinality(u.positions) / (cardinality(u.positions)
    + {k1} * (1 - {b} + {b} * c.n_terms / CAST(? AS float8)))) AS score
FROM chunk_terms c
CROSS JOIN LATERAL unnest(ts_filter(setweight(setweight(c.terms, 'D'), 'A',
    CAST(? AS text[])), '{{a}}')) AS u
JOIN (SELECT unnest(CAST(? AS text[])) AS lexeme, unnest(CAST(? AS float8[])) AS idf) q
    ON q.lexeme = u.lexeme
WHERE c.terms @@ CAST(? AS tsquery) {allowed}
GROUP BY c.chunk_id ORDER BY score DESC, c.chunk_id LIMIT ?
"""


def _lexeme(term: str) -> str:
    r"""A term as a quoted tsvector/tsquery lexeme.

    >>> _lexeme("o'neill"), _lexeme("a\\b")
    ("'o''neill'", "'a\\\\b'")
    """
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def positions(found: list[str]) -> dict[str, list[int]]:
    """A text's terms, each with its positions (1-based; PostgreSQL keeps up to 16,383).

    >>> positions(terms("Ships sail; ships sink."))
    {'ship': [1, 3], 'sail': [2], 'sink': [4]}
    """
    at: dict[str, list[int]] = {}
    for i, term in enumerate(found[:16383], start=1):
        if len(term) <= MAX_TERM:
            at.setdefault(term, []).append(i)
    return at


def tsvector(at: dict[str, list[int]]) -> str:
    """Terms with positions as a tsvector literal.

    >>> tsvector(positions(terms("Ships sail; ships sink.")))
    "'ship':1,3 'sail':2 'sink':4"
    """
    return " ".join(f"{_lexeme(t)}:{','.join(map(str, p))}" for t, p in at.items())


def idf(df: int, n: int) -> float:
    """bm25s's (Lucene's) inverse document frequency of a term in df of n chunks.

    >>> round(idf(1, 100), 3), round(idf(90, 100), 3)
    (4.21, 0.11)
    """
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


class FullText:
    """The `chunk_terms` rows and their statistics, written and deleted with their article's
    (a Records hook), and BM25 search over them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, tx: Writer, items: list[ArticleWrite]) -> None:
        """Rows for these articles' chunks (their old ones deleted first), and their counts."""
        rows = []
        for it in items:
            for c in it.chunks:
                every = terms(embed_text(it.article.title, c.text))
                found = positions(every)
                rows.append((c.chunk_id, c.doc_id, tsvector(found), len(every), list(found)))
        if not rows:
            return
        tx.executemany(
            "INSERT INTO chunk_terms VALUES (?, ?, CAST(? AS tsvector), ?)",
            [r[:4] for r in rows],
        )
        tx.execute(
            "INSERT INTO term_df SELECT t, count(*) FROM unnest(CAST(? AS text[])) AS t GROUP BY t "
            "ON CONFLICT (term) DO UPDATE SET df = term_df.df + excluded.df",
            ([t for r in rows for t in r[4]],),
        )
        tx.execute(
            "UPDATE fulltext_totals SET chunks = chunks + ?, terms = terms + ?",
            (len(rows), sum(r[3] for r in rows)),
        )

    def delete(self, tx: Writer, doc_ids: list[str]) -> None:
        """These articles' rows, and their counts (three statements for a whole batch)."""
        tx.execute(
            "UPDATE term_df SET df = term_df.df - d.n FROM (SELECT lexeme, count(*) AS n "
            "FROM chunk_terms, unnest(tsvector_to_array(terms)) AS lexeme "
            "WHERE doc_id = ANY(?) GROUP BY lexeme) AS d WHERE term_df.term = d.lexeme",
            (doc_ids,),
        )
        tx.execute(
            "UPDATE fulltext_totals SET chunks = chunks - gone.c, terms = terms - gone.t FROM "
            "(SELECT count(*) AS c, COALESCE(sum(n_terms), 0) AS t FROM chunk_terms "
            "WHERE doc_id = ANY(?)) AS gone",
            (doc_ids,),
        )
        tx.execute("DELETE FROM chunk_terms WHERE doc_id = ANY(?)", (doc_ids,))

    def search(self, query: str, n: int, allowed: set[str] | None) -> list[str]:
        """Chunk ids by BM25 score, best first; `allowed` restricts to those doc_ids."""
        wanted = [t for t in dict.fromkeys(terms(query)) if len(t) <= MAX_TERM]
        if not wanted or n <= 0 or (allowed is not None and not allowed):
            return []
        chunks, total = self.db.one("SELECT chunks, terms FROM fulltext_totals")
        rows = self.db.rows("SELECT term, df FROM term_df WHERE term = ANY(?)", (wanted,))
        df = {t: d for t, d in rows if d > 0}
        if not chunks or not df:
            return []
        by_rarity = sorted(df, key=lambda t: (df[t], t))
        filter_terms: list[str] = []
        reach = 0
        for t in by_rarity:  # the rarest terms choose the candidates
            if filter_terms and reach + df[t] > CANDIDATES:
                break
            filter_terms.append(t)
            reach += df[t]
        params: list[object] = [
            total / chunks,
            by_rarity,
            by_rarity,
            [idf(df[t], chunks) for t in by_rarity],
            " | ".join(map(_lexeme, filter_terms)),
        ]
        allowed_sql = ""
        if allowed is not None:
            allowed_sql = "AND c.doc_id = ANY(?)"
            params.append(sorted(allowed))
        sql = _SCORE.format(k1=K1, b=B, allowed=allowed_sql)
        rows = self.db.rows(sql, (*params, n))
        return [r[0] for r in rows]

    def rebuild(self) -> None:
        """Nothing to do: the rows are written with their chunks."""
