"""Chunk texts -> a BM25 side index (bm25s) saved under bm25/, and queries -> chunk ids by score."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..text import terms
from .data import embed_text
from .records import Records


class Lexical:
    """The BM25 index of every chunk, kept in step with SQLite's generation."""

    def __init__(self, folder: Path, records: Records, lock: threading.RLock) -> None:
        self.dir = folder
        self.records = records
        self._lock = lock
        self._bm25: Any = None
        self._ids: list[str] = []
        self._gen = -1

    def search(self, query: str, n: int, allowed: set[str] | None) -> list[str]:
        """Chunk ids by BM25 score, best first; `allowed` restricts to those doc_ids."""
        self._load()
        with self._lock:  # subtle: a rebuild swaps both; take the pair as one snapshot
            bm25, ids = self._bm25, self._ids
        if bm25 is None or not ids:
            return []
        q = terms(query)
        if not q:
            return []
        mask = None
        if allowed is not None:
            mask = np.array([cid.rsplit("#", 1)[0] in allowed for cid in ids], dtype=np.float32)
        k = min(n, len(ids))
        docs, scores = bm25.retrieve([q], k=k, show_progress=False, weight_mask=mask, n_threads=1)
        return [ids[i] for i, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def _load(self) -> None:
        gen = self.records.generation
        if self._gen == gen:
            return
        with self._lock:
            path = self.dir / "bm25"
            meta = path / "ids.json"
            if not meta.exists() or json.loads(meta.read_text())["generation"] != gen:
                self.rebuild()
                return
            import bm25s

            ids = json.loads(meta.read_text())["ids"]
            self._bm25 = None  # an emptied index saves its (no) ids and no bm25s files
            if ids:
                self._bm25 = bm25s.BM25.load(str(path), mmap=False, show_progress=False)
            self._ids = ids
            self._gen = gen

    def rebuild(self) -> None:
        """Re-index every chunk for BM25 (fast: a sparse matrix build) and save it atomically."""
        import bm25s

        with self._lock:
            gen = self.records.generation
            ids: list[str] = []
            corpus: list[list[str]] = []
            head: tuple[str, str] = ("", "")
            last = None
            for chunk_id, doc_id, start, end in self.records.bm25_rows():
                if doc_id != last:  # chunks are ordered by doc: one article at a time
                    head, last = self.records.head(doc_id), doc_id
                title, text = head
                ids.append(chunk_id)
                corpus.append(terms(embed_text(title, text[start:end])))
            retriever = bm25s.BM25()
            if ids:
                retriever.index(corpus, show_progress=False)
            self._save(retriever if ids else None, gen, ids)
            self._bm25 = retriever if ids else None
            self._ids = ids
            self._gen = gen

    def _save(self, retriever: Any, gen: int, ids: list[str]) -> None:
        """Write bm25/ whole: a new folder swapped in, so a crash leaves the old or the new."""
        tmp = self.dir / "bm25.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if retriever is not None:
            retriever.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps({"generation": gen, "ids": ids}))
        old = self.dir / "bm25.old"
        shutil.rmtree(old, ignore_errors=True)
        if (self.dir / "bm25").exists():
            os.replace(self.dir / "bm25", old)
        os.replace(tmp, self.dir / "bm25")
        shutil.rmtree(old, ignore_errors=True)
