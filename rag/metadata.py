"""An article's text (and its sidecar file) -> the metadata written in it, and the spans of the
lines that are metadata rather than sentences to quote.

Plain text carries its metadata in four ways, all read here: YAML front matter (`---` blocks
at the top of a .md or .txt file), a sidecar `<name>.meta.json` beside the file, lines under
the headline (an outlet line, "By Jane Smith", "12 March 2025", "Published: 2025-03-12"), and
credit lines anywhere ("Emilio Casalicchio contributed reporting."). The text itself is kept
whole, so offsets still index the file; the metadata lines are only kept out of the sentences.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from .errors import RejectedFile
from .text import MONTHS, words

Span = tuple[int, int]
FIELDS = ("title", "source", "published", "url", "author")
#: Other names the same fields go by in front matter and sidecars.
ALIASES = {
    "date": "published",
    "publish_date": "published",
    "published_at": "published",
    "outlet": "source",
    "publisher": "source",
    "site": "source",
    "link": "url",
    "byline": "author",
    "headline": "title",
}
#: Lines under the headline searched for metadata; characters searched for a dateline.
HEADER_LINES = 4
DATELINE_CHARS = 240
#: Word runs that make a short line a credit, not news.
CREDITS = (
    ("contributed", "reporting"),
    ("contributed", "to", "this", "report"),
    ("additional", "reporting"),
    ("reporting", "by"),
    ("editing", "by"),
    ("writing", "by"),
)
_MONTH_WORDS = frozenset(MONTHS) | {m[:3] for m in MONTHS} | {"sept"}


def fields_of(data: Any) -> dict[str, str]:
    """A mapping's metadata fields under their names here; others ignored.

    >>> fields_of({"Outlet": "POLITICO", "date": "2026-01-09", "tags": ["x"]})
    {'source': 'POLITICO', 'published': '2026-01-09'}
    """
    if not isinstance(data, dict):
        return {}
    out: dict[str, str] = {}
    for key, value in data.items():
        name = ALIASES.get(str(key).lower(), str(key).lower())
        if name in FIELDS and value is not None and str(value).strip():
            out.setdefault(name, str(value).strip())
    return out


def sidecar(path: Path) -> dict[str, str]:
    """The fields of `<name>.meta.json` beside a file ({} when there is none)."""
    side = path.with_name(path.stem + ".meta.json")
    if not side.is_file():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RejectedFile(f"its sidecar {side.name} is not valid JSON ({err}) — fix it") from err
    if not isinstance(data, dict):
        raise RejectedFile(f"its sidecar {side.name} must be a JSON object of {', '.join(FIELDS)}")
    return fields_of(data)


def front_matter(text: str) -> tuple[dict[str, str], Span | None]:
    """YAML front matter's fields and its span; ({}, None) when the text has none.

    >>> front_matter("---\\nsource: Porthaven Gazette\\n---\\nSolar farm approved")
    ({'source': 'Porthaven Gazette'}, (0, 33))
    """
    if not text.startswith("---"):
        return {}, None
    close = text.find("\n---", 3)
    if close < 0:
        return {}, None
    end = text.find("\n", close + 4)
    end = len(text) if end < 0 else end
    import yaml

    try:
        data = yaml.safe_load(text[3:close])
    except yaml.YAMLError:
        return {}, None  # not front matter after all: the text stays text
    return fields_of(data), (0, end)


def lines(text: str, start: int = 0) -> list[Span]:
    """Spans of the non-blank lines from `start`, stripped."""
    spans: list[Span] = []
    at = start
    for raw in text[start:].split("\n"):
        s, e = at, at + len(raw)
        at = e + 1
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
    return spans


def header(text: str, start: int = 0) -> tuple[dict[str, str], list[Span]]:
    """Outlet, byline and date lines right under the headline (the first line from `start`).

    >>> fields, _ = header("Solar farm\\nPorthaven Gazette\\n12 March 2025\\nThe farm opens.")
    >>> fields
    {'published': '2025-03-12', 'source': 'Porthaven Gazette'}
    """
    fields: dict[str, str] = {}
    spans: list[Span] = []
    outlet: Span | None = None
    for n, (s, e) in enumerate(lines(text, start)[1 : 1 + HEADER_LINES]):
        line = text[s:e]
        said = words(line)
        if said[:1] == ["by"] and 1 < len(said) <= 8 and not line.endswith("."):
            fields.setdefault("author", line[2:].strip(" :"))
        elif len(said) <= 8 and (day := full_date(line)):
            fields.setdefault("published", day)
        elif n == 0 and len(said) <= 4 and line[-1:].isalnum():
            outlet = (s, e)  # an outlet only if a byline or date line follows
            continue
        else:
            break
        spans.append((s, e))
    if outlet and spans:
        fields.setdefault("source", text[outlet[0] : outlet[1]])
        spans.insert(0, outlet)
    return fields, spans


def credits(text: str) -> list[Span]:
    """Short lines that credit reporters or editors rather than report news.

    >>> t = "The farm opens.\\nEmilio Casalicchio contributed reporting."
    >>> [t[s:e] for s, e in credits(t)]
    ['Emilio Casalicchio contributed reporting.']
    """
    found = []
    for s, e in lines(text):
        said = words(text[s:e])
        if len(said) <= 16 and any(_has_run(said, run) for run in CREDITS):
            found.append((s, e))
    return found


def _has_run(said: list[str], run: tuple[str, ...]) -> bool:
    n = len(run)
    return any(tuple(said[i : i + n]) == run for i in range(len(said) - n + 1))


def not_sentences(text: str) -> list[Span]:
    """Spans of the text that are metadata: front matter, header lines, credits."""
    _, block = front_matter(text)
    start = block[1] if block else 0
    _, head = header(text, start)
    return ([block] if block else []) + head + credits(text)


def full_date(text: str) -> str | None:
    """The first calendar date written in full (day, month and year; a month named, or all
    three in digits) as YYYY-MM-DD; None otherwise: unknown stays unknown.

    >>> full_date("LONDON, 14 March 2023 (Wire) — The bridge will close.")
    '2023-03-14'
    >>> full_date("LONDON, 14 March — the bridge closes in 14 days in 2023.") is None
    True
    """
    head = text[:DATELINE_CHARS]
    if not any(ch.isdigit() for ch in head):
        return None
    from dateparser.search import search_dates

    settings = {"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"}
    with warnings.catch_warnings():  # dateparser warns about the local timezone: dates only here
        warnings.simplefilter("ignore")
        hits = search_dates(head, languages=["en"], settings=settings) or []  # type: ignore[arg-type]
    for phrase, when in hits:
        said = words(phrase)
        numbers = [w for w in said if w.isdigit()]
        if any(len(w) == 4 for w in numbers) and (_MONTH_WORDS & set(said) or len(numbers) >= 3):
            return str(when.date().isoformat())
    return None


def dateline(text: str) -> str | None:
    """The date in the first three lines under a headline, as YYYY-MM-DD (see full_date).

    >>> dateline("Bridge shuts\\nLONDON, 14 March 2023 — The bridge will close.")
    '2023-03-14'
    """
    return full_date(" ".join(text[s:e] for s, e in lines(text)[:3]))
