"""Stored articles -> stories: copies of one story (republished with small edits) grouped.

An article's signature is a MinHash of its normalised word shingles (`text.shingles`); an LSH
index (datasketch) finds the grouped articles whose estimated Jaccard similarity may reach
`Settings.story_threshold`, and a new article joins the story of the most similar one that
does, else founds its own. Signatures are stored beside the story ids (index/stories.py), so
an incremental ingest groups only its new articles, and deleting an article leaves the story
of its other copies as it was. Exact duplicates never get here: ingest stores them once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .text import shingles

if TYPE_CHECKING:
    from datasketch import MinHash

    from .index import Store
    from .settings import Settings

NUM_PERM = 128  # hash functions per signature: Jaccard estimates within about +-0.09
SHINGLE_WORDS = 3
SEED = 1
SCHEME = "affine32"  # datasketch's hashing scheme
# subtle: stored signatures only compare with ones made the same way; another recipe regroups
SIGNATURE = f"minhash-{SCHEME}-{NUM_PERM}-seed{SEED}-{SHINGLE_WORDS}words"
BATCH = 1000  # articles read and grouped per transaction


def signatures(texts: list[str]) -> list[MinHash]:
    """One MinHash per text, over its normalised word shingles."""
    from datasketch import MinHash

    sets = [[s.encode("utf-8") for s in shingles(t, SHINGLE_WORDS)] for t in texts]
    return list(MinHash.bulk(sets, num_perm=NUM_PERM, seed=SEED, scheme=SCHEME))


def to_bytes(sig: MinHash) -> bytes:
    return np.asarray(sig.hashvalues, dtype=np.uint64).tobytes()


def from_bytes(blob: bytes) -> MinHash:
    from datasketch import MinHash

    values = np.frombuffer(blob, dtype=np.uint64)
    return MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=values, scheme=SCHEME)


class Grouper:
    """The grouped articles in an LSH index; `assign` puts one more article in a story."""

    def __init__(self, threshold: float, stored: list[tuple[str, str, bytes]]) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.docs: list[str] = []  # row -> doc_id; LSH keys are rows of `values`
        self.values = np.zeros((1024, NUM_PERM), dtype=np.uint64)
        self.story: dict[str, str] = {}
        self.used: set[str] = set()
        for doc_id, story, blob in stored:
            self._keep(doc_id, story, from_bytes(blob))

    def _keep(self, doc_id: str, story: str, sig: MinHash) -> None:
        self.story[doc_id] = story
        self.used.add(story)
        if not sig.is_empty():  # subtle: two empty signatures estimate Jaccard 1
            if len(self.docs) == len(self.values):
                self.values = np.concatenate([self.values, np.zeros_like(self.values)])
            self.values[len(self.docs)] = sig.hashvalues
            self.lsh.insert(len(self.docs), sig)
            self.docs.append(doc_id)

    def nearest(self, sig: MinHash) -> tuple[float, str] | None:
        """(estimated Jaccard, doc_id) of the most similar grouped article at the threshold.

        The candidates LSH finds are compared in one array operation: a common story's copies
        are hundreds of candidates, which compared one by one were half of a large ingest.
        """
        if sig.is_empty():
            return None
        rows = np.fromiter(self.lsh.query(sig), dtype=np.int64)
        if not len(rows):
            return None
        jaccard = np.count_nonzero(self.values[rows] == sig.hashvalues, axis=1) / NUM_PERM
        best = float(jaccard.max())
        if best < self.threshold:
            return None
        return best, min(self.docs[r] for r in rows[jaccard == best])

    def assign(self, doc_id: str, sig: MinHash) -> str:
        """The story doc_id joins (its nearest copy's), else a new one named after it."""
        near = self.nearest(sig)
        story = self.story[near[1]] if near else self._new_id(doc_id)
        self._keep(doc_id, story, sig)
        return story

    def _new_id(self, doc_id: str) -> str:
        # subtle: an id stays with its story after its founder is deleted; a founder that comes
        # back and matches nothing founds a new story under a new id
        story, n = doc_id, 1
        while story in self.used:
            n += 1
            story = f"{doc_id}~{n}"
        return story


def group_stories(store: Store, threshold: float, regroup: bool = False) -> int:
    """Put every article without a story in one; `regroup` first forgets every grouping (the
    threshold changed). Returns how many articles were grouped."""
    if regroup:
        store.stories.clear()
    grouper = Grouper(threshold, store.stories.signatures())
    missing = store.stories.ungrouped()
    for at in range(0, len(missing), BATCH):
        heads = store.records.heads(missing[at : at + BATCH])
        docs = [d for d in missing[at : at + BATCH] if d in heads]  # in date order
        sigs = signatures([heads[d][1] for d in docs])
        rows = [(d, grouper.assign(d, s), to_bytes(s)) for d, s in zip(docs, sigs, strict=True)]
        store.stories.write(rows)
    return len(missing)


def regroup_needed(store: Store, settings: Settings) -> bool:
    """The index was grouped at another threshold, or with other signatures."""
    m = store.manifest
    return m.get("story_threshold") not in (None, settings.story_threshold) or m.get(
        "story_signature"
    ) not in (None, SIGNATURE)


def grouped(store: Store, settings: Settings) -> bool:
    """Whether answers treat copies as one story: the settings ask for it and the index was
    last ingested with grouping on."""
    return settings.stories and bool(store.manifest.get("stories"))
