"""A question and its as-of date -> the publication dates it asks about, and whether it wants
the newest.

Time words are read against the as-of date rather than the clock (rag.date_phrases), so an
answer "as of 2025-03-15" to "what happened last week?" looks at 2025-03-03 .. 2025-03-09
whatever day it is asked. Words that name no date but ask for the newest ("latest", "so far",
"since the election") become a recency preference: retrieval favours newer articles among
relevant ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from .date_phrases import SINCE, UNTIL, dates_in, word_before
from .errors import RagError
from .index import Filters
from .text import words as _words
from .types import Answer

#: Words that ask for the newest reports without naming a date.
RECENCY = frozenset(
    [
        "latest",
        "newest",
        "recent",
        "recently",
        "current",
        "currently",
        "now",
        "nowadays",
        "still",
        "update",
        "updated",
        "updates",
        "yet",
    ]
)
#: Two-word forms of the same ("so far", "most recent", "right now", "as of now").
RECENCY_PAIRS = frozenset({("so", "far"), ("most", "recent"), ("up", "to")})


@dataclass(frozen=True)
class Period:
    """Publication dates a question admits: start..end inclusive, never after `as_of`."""

    as_of: date
    start: date | None = None
    end: date | None = None
    recent: bool = False  # prefer the newest relevant articles
    phrase: str = ""  # the words the period was read from

    @property
    def dated(self) -> bool:
        """Whether the question named dates (then undated articles cannot be shown to fit)."""
        return self.start is not None or self.end is not None

    def filters(self, base: Filters | None = None) -> Filters:
        """`base` narrowed to this period: the as-of date always, named dates when given.

        >>> p = Period(date(2025, 3, 15), date(2025, 3, 1), date(2025, 3, 31))
        >>> f = p.filters(Filters(published_to="2025-03-20"))
        >>> f.published_from, f.published_to, f.as_of
        ('2025-03-01', '2025-03-20', '2025-03-15')
        """
        base = base or Filters()
        start = _latest(base.published_from, self.start)
        end = _earliest(base.published_to, self.end)
        return replace(base, published_from=start, published_to=end, as_of=self.as_of.isoformat())

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "recent": self.recent,
            "phrase": self.phrase,
        }

    def describe(self) -> str:
        """A reader's line for the period, '' when the question named none.

        >>> p = Period(date(2025, 3, 15), date(2025, 3, 3), date(2025, 3, 9), phrase="last week")
        >>> p.describe()
        'articles published 2025-03-03 to 2025-03-09 ("last week")'
        """
        said = f' ("{self.phrase}")' if self.phrase else ""
        if self.start and self.end:
            span = (
                self.start.isoformat() if self.start == self.end else f"{self.start} to {self.end}"
            )
            return f"articles published {span}{said}"
        if self.start:
            return f"articles published since {self.start}{said}"
        if self.end:
            return f"articles published up to {self.end}{said}"
        return f"newest articles first{said}" if self.recent else ""


def _latest(a: str | None, b: date | None) -> str | None:
    values = [v for v in (a[:10] if a else None, b.isoformat() if b else None) if v]
    return max(values) if values else None


def _earliest(a: str | None, b: date | None) -> str | None:
    values = [v for v in (a[:10] if a else None, b.isoformat() if b else None) if v]
    return min(values) if values else None


def parse_as_of(value: str | date | None, today: date | None = None) -> date:
    """The as-of date: YYYY-MM-DD (or a date), default today; a clear error otherwise.

    >>> parse_as_of("2025-03-15")
    datetime.date(2025, 3, 15)
    """
    if isinstance(value, date):
        return value
    if value is None or not str(value).strip():
        return today or date.today()
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as err:
        raise RagError(
            f"as-of date {value!r} is not a date — give it as YYYY-MM-DD, e.g. 2025-03-15"
        ) from err


def read_period(question: str, as_of: date) -> Period:
    """The publication dates and recency a question asks for, as of a date.

    >>> read_period("What happened in March 2024?", date(2025, 1, 10)).describe()
    'articles published 2024-03-01 to 2024-03-31 ("in March 2024")'
    >>> read_period("What is the latest on the strike?", date(2025, 1, 10)).recent
    True
    """
    words = _words(question)
    recent = bool(RECENCY.intersection(words)) or any(
        pair in RECENCY_PAIRS for pair in zip(words, words[1:], strict=False)
    )
    found = dates_in(question, as_of)
    if not found:  # "since the election": a starting point the calendar cannot place
        return Period(as_of, recent=recent or "since" in words)
    phrase, first, last = found
    said = _words(phrase)
    before = said[0] if said and said[0] in SINCE | UNTIL else word_before(question, phrase)
    start: date | None = first
    end: date | None = min(last, as_of)
    if before in SINCE:
        end = None
    elif before in UNTIL:
        start, end = None, (first - timedelta(days=1) if before != "by" else end)
    return Period(as_of, start, end, recent, phrase)


def describe_period(period: dict[str, Any] | None, as_of: str | None) -> str:
    """An answer's `period` and `as_of` fields as a reader's line, '' when there is no period.

    >>> describe_period({"from": None, "to": None, "recent": True, "phrase": ""}, "2025-03-15")
    'newest articles first, as of 2025-03-15'
    """
    if not period:
        return ""
    start, end = period.get("from"), period.get("to")
    day = date.fromisoformat(as_of) if as_of else date.today()
    line = Period(
        day,
        date.fromisoformat(start) if start else None,
        date.fromisoformat(end) if end else None,
        bool(period.get("recent")),
        str(period.get("phrase") or ""),
    ).describe()
    return f"{line}, as of {day}" if line else ""


def filtered_out(question: str, narrowed: str, period: Period, secs: float) -> Answer:
    """The abstention when the filters (`narrowed`, in words), not the articles, left nothing
    to read."""
    text = (
        f"No article matches the filters on ({narrowed}) — widen or clear them to search "
        "every article."
    )
    return Answer(
        question, text, (), (), abstained=True,
        timings={"retrieve": secs * 1000, "total": secs * 1000},
        as_of=period.as_of.isoformat(), period=period.to_dict() if period.dated else None,
    )  # fmt: skip
