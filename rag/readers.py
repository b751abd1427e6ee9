"""A file's text or bytes -> Article(s): one reader per format (text, HTML, PDF, feed) and the
metadata each carries (title, outlet, date, url, author).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import RejectedFile
from .metadata import dateline, front_matter, header
from .settings import Settings
from .types import Article

MAX_TITLE_CHARS = 140


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


def read_text(src: SourceFile, text: str, markdown: bool) -> Article:
    """Plain text: the first line is the headline; front matter and the lines under the
    headline (outlet, byline, date) give the metadata (rag/metadata.py)."""
    meta, block = front_matter(text)
    body = text[block[1] :] if block else text
    head, _ = header(text, block[1] if block else 0)
    fields = {**head, **meta}
    title = _first_line(body)
    if markdown:
        title = title.lstrip("#").strip()
    return Article(
        src.base_id,
        shorten(fields.get("title") or title) or src.path.stem,
        text,
        source=fields.get("source"),
        published=normalise_date(fields.get("published")) or dateline(body),
        url=fields.get("url"),
        author=fields.get("author"),
        path=str(src.path),
    )


def with_fields(article: Article, fields: dict[str, str]) -> Article:
    """The article with metadata fields (from a sidecar) put over its own."""
    if not fields:
        return article
    if "published" in fields:
        fields = {**fields, "published": normalise_date(fields["published"]) or ""}
    return replace(article, **{k: (shorten(v) if k == "title" else v) for k, v in fields.items()})


def read_html(src: SourceFile, html: str) -> Article:
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
        published=normalise_date(meta.get("date") or _meta_tag(soup, _DATE_TAGS)) or dateline(text),
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


def read_pdf(src: SourceFile, data: bytes) -> Article:
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
    published = dateline(text)
    return Article(src.base_id, title, text, author=author, published=published, path=str(src.path))


def read_feed(src: SourceFile, text: str, limits: Limits) -> tuple[list[Article], list[Rejection]]:
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
        published=normalise_date(_first(field, DATE_FIELDS)) or dateline(text),
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


#: A feed record's publication date, by the first of these fields it has.
DATE_FIELDS = ("published", "publish_date", "published_at", "pubDate", "date")


def _first(field: Any, names: tuple[str, ...]) -> str | None:
    return next((v for v in map(field, names) if v), None)
