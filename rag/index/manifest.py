"""Settings + index -> its manifest: how the index was built, checked on every open.

An embedded index keeps it as manifest.json in its folder; a PostgreSQL one in its `state`
table (key "manifest"), so that every replica reads the same.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from ..errors import IndexMismatchError
from ..settings import Settings
from .db import Database

SCHEMA_VERSION = 4  # 2: sentence vectors stored at ingest; 3: article vectors; 4: entities
#: Older schemas this version still opens: a 2 answers without article vectors, a 2 or 3 without
#: entities, until the next `rag ingest` adds them (see backfill.add_article_vectors and
#: backfill.add_entities).
READABLE = (2, 3, 4)
MANIFEST = "manifest.json"
STATE_KEY = "manifest"  # where a database-held index keeps it


class Manifest:
    """The index's record of how it was built; opening it with other settings is an error."""

    def __init__(self, folder: Path, settings: Settings, db: Database | None = None) -> None:
        self.dir = folder
        self.settings = settings
        self.db = db if db is not None and db.kind != "sqlite" else None
        self.where = self.db.where if self.db is not None else f"{folder}/"
        self.data: dict[str, Any] = self.read()

    def read(self) -> dict[str, Any]:
        """The stored manifest ({} when none is)."""
        if self.db is not None:
            stored = self.db.get_state(STATE_KEY)
            return json.loads(stored) if stored else {}
        path = self.dir / MANIFEST
        return json.loads(path.read_text()) if path.exists() else {}

    def check(
        self,
        dimension: int | None = None,
        chunk_tokens: int | None = None,
        encoder: str | None = None,
    ) -> None:
        """Refuse to mix settings: the index records how it was built."""
        m = self.data
        if not m:
            return
        fix = f"point RAG_INDEX_DIR elsewhere or delete {self.dir}/ and run `rag ingest`"
        if self.db is not None:
            fix = "point RAG_DATABASE_URL at another database, or empty it and run `rag ingest`"
        elif (self.dir / "uploads").is_dir():
            fix += f" (copy {self.dir}/uploads/ out first: it holds the files uploaded in the UI)"
        if m.get("schema_version") not in READABLE:
            raise IndexMismatchError(
                f"index at {self.where} has schema {m.get('schema_version')}, this version "
                f"reads {', '.join(map(str, READABLE))} — {fix}"
            )
        wanted = {
            "embed_model": self.settings.embed_model,
            "encoder": encoder or self.settings.encoder,
            "chunk_overlap": self.settings.chunk_overlap,
            "dimension": dimension,
            "chunk_tokens": chunk_tokens,
            # absent from a schema-2 index: the next ingest adds its article vectors
            "lead_tokens": self.settings.lead_tokens if "lead_tokens" in m else None,
        }
        for key, value in wanted.items():
            if value is not None and m.get(key) != value:
                raise IndexMismatchError(
                    f"index at {self.where} was built with {key}={m.get(key)!r}, settings say "
                    f"{value!r} — {fix}"
                )

    def write(self, **fields: Any) -> None:
        """Merge `fields` into the manifest and replace the file atomically."""
        stored = self.read() if self.db is not None else self.data  # another replica's
        m = {"schema_version": SCHEMA_VERSION, **stored, **fields}
        m["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        m.setdefault("created_at", m["updated_at"])
        text = json.dumps(m, indent=2, sort_keys=True)
        if self.db is not None:
            self.db.set_state(STATE_KEY, text)
        else:
            tmp = self.dir / (MANIFEST + ".tmp")
            tmp.write_text(text)
            os.replace(tmp, self.dir / MANIFEST)  # atomic: a crash leaves the old or the new one
        self.data = m
