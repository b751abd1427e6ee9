"""Files -> Articles: one reader per format, metadata, stable doc ids, clear rejections.

doc_id is the path relative to the ingested root without extension, "/" separated
(`seeds/000_ab.txt` ingested from `seeds/` -> `000_ab`); a feed's records get `<path>/<n>`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import IngestError, RejectedFile
from .settings import Settings
from .types import Article

TEXT_TYPES = {".txt", ".md"}
HTML_TYPES = {".html", ".htm"}
FEED_TYPES = {".jsonl", ".json"}
PDF_TYPES = {".pdf"}
SUPPORTED = TEXT_TYPES | HTML_TYPES | FEED_TYPES | PDF_TYPES
MAX_TITLE_CHARS = 140
HTML_MARKUP_FACTOR = 5  # a page may hold this many times its text in markup and scripts


@dataclass(frozen=True)
class Limits:
    """What one file and one article may weigh; larger ones are rejected with the reason."""

    max_bytes: int
    max_chars: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(int(settings.max_file_mb * 1024 * 1024), settings.max_article_chars)

    def check_file(self, size: int) -> None:
        if size > self.max_bytes:
            raise RejectedFile(
                f"file is {size / 1048576:.1f} MB, over the {self.max_bytes / 1048576:g} MB "
                "limit (RAG_MAX_FILE_MB) — split it or raise the limit"
            )

    def check_text(self, text: str, factor: int = 1) -> None:
        if len(text) > self.max_chars * factor:
            raise RejectedFile(
                f"article is {len(text):,} characters, over the {self.max_chars * factor:,} "
                "limit (RAG_MAX_ARTICLE_CHARS) — split it into articles or raise the limit"
            )


@dataclass(frozen=True)
class SourceFile:
    """A file to read and the root its doc_id is relative to."""

    path: Path
    root: Path

    @property
    def base_id(self) -> str:
        rel = self.path.relative_to(self.root).with_suffix("")
        return rel.as_posix()


@dataclass(frozen=True)
class Rejection:
    """A file (or a feed record) that could not be read, and why."""

    where: str
    reason: str


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
            if given.suffix.lower() in SUPPORTED:
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
                if name.startswith(".") or name.lower() == "readme.md":
                    continue
                if path.suffix.lower() not in SUPPORTED:
                    skipped.append(str(path))
                elif path.is_symlink() and not path.exists():
                    rejected.append(Rejection(str(path), "broken or looping symbolic link"))
                else:
                    files.append(SourceFile(path, given))
    return files, rejected, skipped


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
    if suffix in PDF_TYPES:
        article = _read_pdf(src, data)
        limits.check_text(article.text)
        return [article], []
    text = decode_text(data)
    if not text.strip():
        raise RejectedFile("empty file — nothing to index")
    if suffix in TEXT_TYPES:
        limits.check_text(text)
        return [_read_text(src, text, markdown=suffix == ".md")], []
    if suffix in HTML_TYPES:
        limits.check_text(text, HTML_MARKUP_FACTOR)  # before parsing: slow on huge pages
        article = _read_html(src, text)
        limits.check_text(article.text)
        return [article], []
    return _read_feed(src, text, limits)


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


def shorten(title: str, limit: int = MAX_TITLE_CHARS) -> str:
    """A headline cut at a word boundary, with an ellipsis when cut."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip(",;:–-") + "…"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return shorten(line)
    return ""


def _read_text(src: SourceFile, text: str, markdown: bool) -> Article:
    title = _first_line(text)
    if markdown:
        title = title.lstrip("#").strip()
    title = shorten(title)
    return Article(src.base_id, title or src.path.stem, text, path=str(src.path))


def _read_html(src: SourceFile, html: str) -> Article:
    import trafilatura
    from bs4 import BeautifulSoup

    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, favor_recall=True
        )
    except Exception as err:  # trafilatura raises many types on malformed markup
        raise RejectedFile(f"could not parse HTML: {err}") from err
    meta: dict[str, Any] = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else {}
    text = (meta.get("text") or "").strip()
    soup = BeautifulSoup(html, "html.parser")
    if not text:
        for tag in soup(["script", "style", "iframe", "noscript", "template"]):
            tag.decompose()
        text = "\n".join(line.strip() for line in soup.get_text("\n").splitlines() if line.strip())
    if not text:
        raise RejectedFile("no article text found in the HTML")
    canonical = soup.find("link", rel="canonical")
    url = meta.get("url") or (canonical.get("href") if canonical else None)
    title = meta.get("title") or (
        soup.title.string.strip() if soup.title and soup.title.string else ""
    )
    return Article(
        src.base_id,
        shorten(title or _first_line(text)),
        text,
        source=meta.get("sitename") or None,
        published=normalise_date(meta.get("date") or _meta_tag(soup, _DATE_TAGS)),
        url=str(url) if url else None,
        author=meta.get("author") or None,
        path=str(src.path),
    )


_DATE_TAGS = (
    "article:published_time",
    "og:published_time",
    "datePublished",
    "date",
    "pubdate",
    "publishdate",
    "DC.date.issued",
    "dc.date",
)


def _meta_tag(soup: Any, names: tuple[str, ...]) -> str | None:
    """The content of the first <meta> (by property, name or itemprop) or <time datetime>."""
    for name in names:
        for attr in ("property", "name", "itemprop"):
            tag = soup.find("meta", attrs={attr: name})
            if tag and tag.get("content"):
                return str(tag["content"])
    tag = soup.find("time", attrs={"datetime": True})
    return str(tag["datetime"]) if tag else None


def _read_pdf(src: SourceFile, data: bytes) -> Article:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise RejectedFile("encrypted PDF — save an unencrypted copy and ingest that")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except RejectedFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as err:
        raise RejectedFile(f"corrupt or unreadable PDF ({err})") from err
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise RejectedFile("the PDF has no extractable text (scanned images?)")
    title = shorten((info.title if info and info.title else "") or _first_line(text))
    author = info.author if info and info.author else None
    return Article(src.base_id, title, text, author=author, path=str(src.path))


def _read_feed(src: SourceFile, text: str, limits: Limits) -> tuple[list[Article], list[Rejection]]:
    records: list[tuple[int, Any]] = []
    numbers: list[int] = []  # each record's number in the feed
    bad: list[Rejection] = []
    if src.path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise RejectedFile(f"invalid JSON at line {err.lineno}: {err.msg}") from err
        if isinstance(data, dict):
            data = data.get("articles", [data])
        if not isinstance(data, list):
            raise RejectedFile(
                "JSON must be an article object, a list of them, or {articles: [...]}"
            )
        records, numbers = list(enumerate(data)), list(range(len(data)))
    else:
        # subtle: a broken line keeps its number, so fixing it later leaves the ids of the
        # records after it unchanged (ids count non-blank lines).
        lines = [(no, line) for no, line in enumerate(text.splitlines(), start=1) if line.strip()]
        for n, (lineno, line) in enumerate(lines):
            try:
                records.append((lineno, json.loads(line)))
                numbers.append(n)
            except json.JSONDecodeError as err:
                bad.append(Rejection(f"{src.path} line {lineno}", f"invalid JSON: {err.msg}"))
    articles: list[Article] = []
    for n, (where, rec) in zip(numbers, records, strict=True):
        label = f"{src.path} {'line' if src.path.suffix == '.jsonl' else 'record'} {where}"
        try:
            article = _feed_article(src, n, rec)
            limits.check_text(article.text)
            articles.append(article)
        except RejectedFile as err:
            bad.append(Rejection(label, str(err)))
    if not articles:
        reasons = "; ".join(r.reason for r in bad[:3]) or "no records"
        raise RejectedFile(f"no usable articles in the feed ({reasons})")
    return articles, bad


def _feed_article(src: SourceFile, n: int, rec: Any) -> Article:
    if not isinstance(rec, dict):
        raise RejectedFile("a record must be a JSON object with at least a 'text' field")
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise RejectedFile("missing or empty 'text' field")

    def field(name: str) -> str | None:
        value = rec.get(name)
        return str(value).strip() or None if value is not None else None

    return Article(
        f"{src.base_id}/{n}",
        shorten(field("title") or _first_line(text)),
        text,
        source=field("source"),
        published=normalise_date(field("published")),
        url=field("url"),
        author=field("author"),
        path=str(src.path),
    )


_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%m/%d/%Y")


def normalise_date(value: str | None) -> str | None:
    """A date string -> 'YYYY-MM-DD' where it can be parsed, else the string as given.

    >>> normalise_date("January 6, 2023")
    '2023-01-06'
    """
    if not value:
        return None
    value = str(value).strip()
    if m := _ISO.match(value):
        return "-".join(m.groups())
    for fmt in _FORMATS:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return value


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
