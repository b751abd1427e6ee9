"""A question and its as-of date -> the publication dates it asks about, and whether it wants
the newest.

Time words are read with dateparser, against the as-of date rather than the clock, so an answer
"as of 2025-03-15" to "what happened last week?" looks at 2025-03-03 .. 2025-03-09 whatever day it
is asked. Words that name no date but ask for the newest ("latest", "so far", "since the
election") become a recency preference: retrieval favours newer articles among relevant ones.
"""

from __future__ import annotations

import calendar
import warnings
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from .errors import RagError
from .index import Filters
from .text import NUMBER_WORDS
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
#: Words before a date that make it one end of the period rather than the whole of it.
SINCE = frozenset({"since", "after", "from"})
UNTIL = frozenset({"before", "until", "till", "by", "prior"})
#: What makes a date phrase a time the question asks about: a year, or a word counting from
#: the as-of day. "On Thursday", "in September" or "on 10 March" alone are read as the story's
#: own days (an article's "the pilot begins in September"), not as dates of publication; a bare
#: "may" or "second" is no date at all.
_ANCHORS = frozenset(["yesterday", "today", "ago", "last", "this", "past", "previous"])


#: Words that make a month or a year the time of the reports asked about.
_FRAMES = frozenset(["in", "during", "since", "before", "after", "until", "till", "from", "by"])
_UNITS = frozenset(["day", "days", "week", "weeks", "month", "months", "year", "years"])


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
    found = _dates_in(question, as_of)
    if not found:  # "since the election": a starting point the calendar cannot place
        return Period(as_of, recent=recent or "since" in words)
    phrase, first, last = found
    said = _words(phrase)
    before = said[0] if said and said[0] in SINCE | UNTIL else _word_before(question, phrase)
    start: date | None = first
    end: date | None = min(last, as_of)
    if before in SINCE:
        end = None
    elif before in UNTIL:
        start, end = None, (first - timedelta(days=1) if before != "by" else end)
    return Period(as_of, start, end, recent, phrase)


def _word_before(question: str, phrase: str) -> str:
    head = question[: question.find(phrase)] if phrase in question else ""
    words = _words(head)
    return words[-1] if words else ""


def _dates_in(question: str, as_of: date) -> tuple[str, date, date] | None:
    """The first date phrase in the question and the days it covers."""
    from dateparser.search import search_dates

    settings = _settings(as_of)
    with warnings.catch_warnings():  # dateparser warns about the local timezone; dates only here
        warnings.simplefilter("ignore")
        hits = search_dates(question, languages=["en"], settings=settings) or []
    for phrase in _joined(question, [phrase for phrase, _ in hits]):
        said = _words(phrase)
        before = _word_before(question, phrase)
        framed = bool(said) and (said[0] in _FRAMES or before in _FRAMES)
        # "since March 1", "before Tuesday": one end of a stretch that reaches the as-of day
        ends = {before, said[0] if said else ""} & (SINCE | UNTIL)
        span = _span(phrase, as_of, framed, anchored=before in _ANCHORS or bool(ends))
        if span is not None:
            return (phrase, *span)
    return None


def _joined(question: str, phrases: list[str]) -> list[str]:
    """Phrases found side by side joined: dateparser's search splits "March 2025" in two.

    >>> _joined("before March 2025, or May", ["March", "2025", "May"])
    ['March 2025', 'May']
    """
    out: list[str] = []
    at, end, out_start = 0, -1, 0
    for phrase in phrases:
        start = question.find(phrase, at)
        if start < 0:
            continue
        if out and end >= 0 and not question[end:start].strip(" ,"):
            out[-1] = question[out_start : start + len(phrase)]
        else:
            out.append(phrase)
            out_start = start
        at = end = start + len(phrase)
    return out


def _span(
    phrase: str, as_of: date, framed: bool = True, anchored: bool = False
) -> tuple[date, date] | None:
    """The days a date phrase covers: 'March 2024' a month, 'last week' Monday to Sunday.

    A month or year not `framed` by a word like "in" or "since" names something rather than
    when it was reported ("the 1998 World Cup", "the March 2024 floods"): no period. Nor does
    a phrase with neither a year nor a word counting from the as-of day (see _ANCHORS), unless
    one stands just before it (`anchored`: "the past two weeks").
    """
    words = set(_words(phrase))
    has_year = any(w.isdigit() and len(w) == 4 for w in words)
    has_digit = any(c.isdigit() for c in phrase)
    if not (has_year or words & _ANCHORS or anchored):
        return None
    data = _parser(as_of).get_date_data(phrase)
    if data is None or data.date_obj is None:
        return None
    day = data.date_obj.date()
    period = data.period or "day"
    if words & _UNITS and (words & NUMBER_WORDS.keys() or has_digit) and "ago" not in words:
        return day, as_of  # "the past two weeks": a stretch up to the as-of day
    if period in ("month", "year") and not framed and not words & _ANCHORS:
        return None
    if period == "week" or "week" in words or "weekend" in words:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if period == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    # subtle: news of a day is mostly published the day after; the as-of day still bounds it
    return day, min(day + timedelta(days=1), as_of)


def _settings(as_of: date) -> dict[str, Any]:
    return {
        "RELATIVE_BASE": datetime(as_of.year, as_of.month, as_of.day, 12),
        "PREFER_DATES_FROM": "past",
        "RETURN_TIME_AS_PERIOD": True,
    }


@lru_cache(maxsize=8)
def _parser(as_of: date) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"], settings=_settings(as_of))


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
