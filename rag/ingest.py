"""Files and folders -> Articles: which files, their limits, stable doc ids, clear rejections.

The readers of each format are in rag/readers.py.

doc_id is the path relative to the ingested root without extension, "/" separated
(`seeds/000_ab.txt` ingested from `seeds/` -> `000_ab`); a feed's records get `<path>/<n>`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import IngestError, RejectedFile
from .metadata import sidecar
from .readers import (
    Limits,
    Rejection,
    SourceFile,
    read_feed,
    read_html,
    read_pdf,
    read_text,
    with_fields,
)
from .settings import Settings
from .types import Article

TEXT_TYPES = {".txt", ".md"}
HTML_TYPES = {".html", ".htm"}
FEED_TYPES = {".jsonl", ".json"}
PDF_TYPES = {".pdf"}
SUPPORTED = TEXT_TYPES | HTML_TYPES | FEED_TYPES | PDF_TYPES
HTML_MARKUP_FACTOR = 5  # a page may hold this many times its text in markup and scripts


def discover(paths: list[Path]) -> tuple[list[SourceFile], list[Rejection], list[str]]:
    """Expand files and folders into readable files; returns (files, rejections, skipped).

    A folder's files of unsupported types are skipped (listed), a named one is rejected.
    """
    files: list[SourceFile] = []
    rejected: list[Rejection] = []
    skipped: list[str] = []
    for given in paths:
        if not given.exists():
            raise IngestError(f"{given} does not exist — check the path and run `rag ingest` again")
        if given.is_file():
            if is_sidecar(given):
                why = "a sidecar of metadata — ingest the article file it sits beside"
                rejected.append(Rejection(str(given), why))
            elif given.suffix.lower() in SUPPORTED:
                files.append(SourceFile(given, given.parent))
            else:
                rejected.append(Rejection(str(given), _unsupported(given)))
            continue
        walked: set[str] = set()
        # subtle: linked folders are followed, but each real folder is walked once, so a
        # symbolic link loop cannot make the walk endless.
        for dirpath, dirnames, filenames in os.walk(given, followlinks=True):
            real = os.path.realpath(dirpath)
            if real in walked:
                dirnames[:] = []
                why = "symbolic link to a folder already walked (a link loop?) — not read twice"
                rejected.append(Rejection(dirpath, why))
                continue
            walked.add(real)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if name.startswith(".") or name.lower() == "readme.md" or is_sidecar(path):
                    continue
                if path.suffix.lower() not in SUPPORTED:
                    skipped.append(str(path))
                elif path.is_symlink() and not path.exists():
                    rejected.append(Rejection(str(path), "broken or looping symbolic link"))
                else:
                    files.append(SourceFile(path, given))
    return files, rejected, skipped


def is_sidecar(path: Path) -> bool:
    """`story.meta.json`: metadata for `story.txt` (or .md, .html, .pdf), not an article."""
    return path.name.lower().endswith(".meta.json")


def _unsupported(path: Path) -> str:
    kinds = ", ".join(sorted(SUPPORTED))
    return f"unsupported file type '{path.suffix or '(none)'}' — use one of {kinds}"


def read_file(
    src: SourceFile, limits: Limits | None = None
) -> tuple[list[Article], list[Rejection]]:
    """Read one file into articles; a feed may also yield per-record rejections.

    Raises RejectedFile when nothing in the file can be used. Without limits, the settings'.
    """
    limits = limits or Limits.from_settings(Settings())
    suffix = src.path.suffix.lower()
    try:
        if not src.path.is_file():
            raise RejectedFile("not a regular file (a folder, device or looping link?)")
        limits.check_file(src.path.stat().st_size)
        data = src.path.read_bytes()
    except OSError as err:
        raise RejectedFile(f"cannot read file: {err.strerror or err}") from err
    if suffix in FEED_TYPES:
        return read_feed(src, _text_of(data), limits)
    return [with_fields(_read_one(src, data, limits), sidecar(src.path))], []


def _read_one(src: SourceFile, data: bytes, limits: Limits) -> Article:
    """A file holding one article (text, Markdown, HTML or PDF)."""
    suffix = src.path.suffix.lower()
    if suffix in PDF_TYPES:
        article = read_pdf(src, data)
        limits.check_text(article.text)
        return article
    text = _text_of(data)
    if suffix in TEXT_TYPES:
        limits.check_text(text)
        return read_text(src, text, markdown=suffix == ".md")
    limits.check_text(text, HTML_MARKUP_FACTOR)  # before parsing: slow on huge pages
    article = read_html(src, text)
    limits.check_text(article.text)
    return article


def _text_of(data: bytes) -> str:
    text = decode_text(data)
    if not text.strip():
        raise RejectedFile("empty file — nothing to index")
    return text


def decode_text(data: bytes) -> str:
    """Bytes -> str: UTF-8 (BOM allowed) or UTF-16 with a BOM; anything else is rejected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise RejectedFile("invalid UTF-16 text — re-save the file as UTF-8") from err
    if b"\x00" in data[:8192]:
        raise RejectedFile("binary data, not text — is the file extension right?")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RejectedFile(
            f"not valid UTF-8 (bad byte at offset {err.start}) — re-save the file as UTF-8"
        ) from err


def content_hash(text: str) -> str:
    """Identity of the article text alone: the same text under two names is a duplicate."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_hash(article: Article) -> str:
    """Identity of everything stored for an article: a change to any of it is an update."""
    parts = [article.text, article.title, article.source, article.published, article.url]
    blob = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def iter_articles(
    files: list[SourceFile], limits: Limits | None = None
) -> Iterator[tuple[SourceFile, list[Article], list[Rejection]]]:
    """Read files one by one; an unreadable file becomes a rejection, never an exception."""
    for src in files:
        try:
            articles, bad = read_file(src, limits)
        except RejectedFile as err:
            yield src, [], [Rejection(str(src.path), str(err))]
            continue
        yield src, articles, bad
