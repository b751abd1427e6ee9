"""A question's article-space vector -> doc ids by article vector (headline and opening)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..errors import IndexMismatchError
from .records import Records


class Leads:
    """Article vectors as one float32 matrix in memory, reloaded when the index changes."""

    def __init__(self, folder: Path, records: Records, lock: threading.RLock) -> None:
        self.dir = folder
        self.records = records
        self._lock = lock
        self._cache: tuple[int, list[str], np.ndarray] | None = None  # generation, ids, rows

    def search(self, vector: np.ndarray, n: int, allowed: set[str] | None) -> list[str]:
        """Doc ids whose article vectors are nearest to the vector, best first.

        A brute-force product over every article (10,000 articles: 15 MB, about a millisecond),
        held in memory until the index changes.
        """
        ids, matrix = self._matrix(len(vector))
        if not ids:
            return []
        if matrix.shape[1] != len(vector):
            raise IndexMismatchError(
                self._mixed(f"of {matrix.shape[1]}, the question {len(vector)} dimensions")
            )
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        if allowed is not None:
            scores[[d not in allowed for d in ids]] = -np.inf
        k = min(n, len(ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [ids[i] for i in top if np.isfinite(scores[i])]

    def _matrix(self, default_dim: int) -> tuple[list[str], np.ndarray]:
        """(doc ids, one row per article) at the current generation."""
        gen = self.records.generation
        cached = self._cache
        if cached is None or cached[0] != gen:
            rows = self.records.article_vectors()
            # built outside the lock: the other threads keep answering meanwhile
            dim = len(rows[0][1]) // 2 if rows else default_dim  # float16
            if any(len(blob) != 2 * dim for _, blob in rows):
                raise IndexMismatchError(self._mixed("of different lengths"))
            blob = b"".join(r[1] for r in rows)
            matrix = np.frombuffer(blob, dtype=np.float16).reshape(len(rows), dim)
            cached = (gen, [r[0] for r in rows], matrix.astype(np.float32))
            with self._lock:
                self._cache = cached
        return cached[1], cached[2]

    def _mixed(self, what: str) -> str:
        return (
            f"the article vectors in {self.dir}/ are {what} — delete {self.dir}/ and run "
            "`rag ingest`"
        )
