"""User input -> checked values: date filters, safe upload names, upload files staged in a folder.

Anything refused raises (or returns) a RagError message that says what to do instead.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from rag.errors import RagError
from rag.ingest import SUPPORTED, is_sidecar
from rag.retrieve import Filters

UPLOAD_TYPES = tuple(sorted(SUPPORTED))  # what the ingester reads, in the order its errors list
MAX_UPLOAD_MB = 20
MAX_UPLOADS = 20
MAX_NAME_CHARS = 100

_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(label: str, value: str | None) -> str | None:
    """'' -> None; a valid YYYY-MM-DD -> itself; anything else -> RagError."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise RagError(f"'{value}' is not a {label} date — write it as YYYY-MM-DD") from None
    return value


def make_filters(outlets: Sequence[str] | None, start: str | None, end: str | None) -> Filters:
    lo, hi = parse_day("'published from'", start), parse_day("'published to'", end)
    if lo and hi and lo > hi:
        raise RagError(f"'published from' ({lo}) is after 'published to' ({hi}) — swap them")
    return Filters(sources=tuple(outlets or ()), published_from=lo, published_to=hi)


def safe_upload_name(name: str) -> str:
    """A user's file name -> a safe basename of [A-Za-z0-9._-]; RagError if its type is wrong."""
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()  # é -> e
    base = _UNSAFE_CHARS.sub("_", base).lstrip("._-")
    stem, dot, ext = base.rpartition(".")
    ext = "." + ext.lower() if dot else ""
    if ext not in UPLOAD_TYPES:
        kinds = ", ".join(UPLOAD_TYPES)
        raise RagError(f"{name!r}: unsupported file type — upload one of {kinds}")
    stem = stem.strip("._-")[:MAX_NAME_CHARS] or "upload"
    if f"{stem}{ext}".lower() == "readme.md":  # the ingester skips README.md files
        stem = "readme-upload"
    return stem + ext


def stage_uploads(files: Sequence[str], dest: Path) -> tuple[list[str], list[str]]:
    """Copy checked uploads into dest; returns (saved names, refusal messages)."""
    if len(files) > MAX_UPLOADS:
        return [], [f"{len(files)} files is too many — add at most {MAX_UPLOADS} at a time"]
    saved: list[str] = []
    refused: list[str] = []
    dest.mkdir(parents=True, exist_ok=True)
    for src in map(Path, files):
        try:
            name = safe_upload_name(src.name)
        except RagError as err:
            refused.append(str(err))
            continue
        if src.stat().st_size > MAX_UPLOAD_MB * 1024 * 1024:
            refused.append(f"{src.name!r} is over {MAX_UPLOAD_MB} MB — split it or shrink it")
            continue
        shutil.copyfile(src, dest / name)
        saved.append(name)
    return saved, refused


def uploaded_articles(saved: Sequence[str], folder: Path) -> list[Path]:
    """The article files an upload touches: each saved article, and the article beside each
    saved sidecar (`story.meta.json` -> `story.txt`), so that only they are ingested.

    subtle: not the whole uploads folder: with several replicas sharing one library, a file
    left in this replica's folder after another replica removed its article would come back.
    """
    out: set[Path] = set()
    for name in saved:
        path = folder / name
        if not is_sidecar(path):
            out.add(path)
            continue
        stem = name[: -len(".meta.json")]
        out.update(p for p in folder.iterdir() if p.stem == stem and not is_sidecar(p))
    return sorted(out)
