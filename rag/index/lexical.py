"""Chunk texts -> a BM25 side index (bm25s) saved under bm25/, and queries -> chunk ids by score.

A rebuild tokenizes only the chunks it has not seen: each chunk's terms are kept in
bm25/terms.json beside the record hash and span they came from. The scores are computed
over the whole corpus every time, in the same order, so IDF and the average length are those
of a full rebuild and so are the results.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from .. import text as text_code
from ..text import terms
from .data import embed_text
from .records import ChunkKey, Records

IDS = "ids.json"  # {"generation", "ids", "terms"}: what the saved index covers
TERMS = "terms.json"  # {"version", "chunks": {chunk_id: [record_hash, start, end, terms]}}


@lru_cache(maxsize=1)
def terms_version() -> str:
    """A fingerprint of the code that turns text into terms.

    subtle: kept terms are only as good as the code that made them; an edit to rag/text.py or
    another stemmer makes the next rebuild tokenize every chunk again, as it always used to.
    """
    digest = hashlib.sha256(Path(text_code.__file__).read_bytes())
    digest.update(version("PyStemmer").encode())
    return digest.hexdigest()[:16]


class Lexical:
    """The BM25 index of every chunk, kept in step with SQLite's generation."""

    def __init__(self, folder: Path, records: Records, lock: threading.RLock) -> None:
        self.path = folder / "bm25"
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
        """The saved index if it is current, else a rebuild."""
        gen = self.records.generation
        if self._gen == gen:
            return
        with self._lock:
            saved = self._read(IDS)
            if saved is None or saved["generation"] != gen:
                self.rebuild()
                return
            import bm25s

            ids = saved["ids"]
            self._bm25 = None  # an emptied index saves its (no) ids and no bm25s files
            if ids:
                self._bm25 = bm25s.BM25.load(str(self.path), mmap=False, show_progress=False)
            self._ids = ids
            self._gen = gen

    def rebuild(self) -> None:
        """Bring bm25/ up to date with SQLite and save it atomically; nothing to do when the
        saved index is already current."""
        import bm25s

        with self._lock:
            saved = self._read(IDS) or {}
            current = saved.get("generation") == self.records.generation
            if current and saved.get("terms") == terms_version():
                return
            with self.records.snapshot():  # the generation, keys and texts of one state
                gen = self.records.generation
                keys = self.records.chunk_keys()
                corpus = self._corpus(keys)
            retriever = bm25s.BM25() if keys else None
            if retriever is not None:
                retriever.index(corpus, show_progress=False)
            self._save(retriever, gen, keys, corpus)
            self._bm25, self._ids, self._gen = retriever, [k.chunk_id for k in keys], gen

    def _corpus(self, keys: list[ChunkKey]) -> list[list[str]]:
        """Each chunk's terms: kept ones where the chunk is unchanged, else from its text."""
        kept = self._read(TERMS) or {}
        chunks: dict[str, list[Any]] = (
            kept.get("chunks", {}) if kept.get("version") == terms_version() else {}
        )

        def same(k: ChunkKey) -> bool:
            hit = chunks.get(k.chunk_id)
            return hit is not None and hit[:3] == [k.record_hash, k.char_start, k.char_end]

        fresh = [k for k in keys if not same(k)]
        heads = self.records.heads(sorted({k.doc_id for k in fresh}))
        new: dict[str, list[str]] = {}
        for k in fresh:
            title, body = heads[k.doc_id]
            new[k.chunk_id] = terms(embed_text(title, body[k.char_start : k.char_end]))
        return [new[k.chunk_id] if k.chunk_id in new else chunks[k.chunk_id][3] for k in keys]

    def _read(self, name: str) -> dict[str, Any] | None:
        path = self.path / name
        return json.loads(path.read_text()) if path.exists() else None

    def _save(
        self, retriever: Any, gen: int, keys: list[ChunkKey], corpus: list[list[str]]
    ) -> None:
        """Write bm25/ whole: a new folder swapped in, so a crash leaves the old or the new."""
        tmp = self.path.with_name("bm25.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if retriever is not None:
            retriever.save(str(tmp), show_progress=False)
        ids = [k.chunk_id for k in keys]
        version = terms_version()
        (tmp / IDS).write_text(json.dumps({"generation": gen, "ids": ids, "terms": version}))
        kept = {
            k.chunk_id: [k.record_hash, k.char_start, k.char_end, t]
            for k, t in zip(keys, corpus, strict=True)
        }
        (tmp / TERMS).write_text(json.dumps({"version": version, "chunks": kept}))
        old = self.path.with_name("bm25.old")
        shutil.rmtree(old, ignore_errors=True)
        if self.path.exists():
            os.replace(self.path, old)
        os.replace(tmp, self.path)
        shutil.rmtree(old, ignore_errors=True)
