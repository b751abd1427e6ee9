"""A question's date phrases -> the days they cover, read with dateparser against the as-of
day rather than the clock ("last week" as of 2025-03-15 is 2025-03-03 .. 2025-03-09).

`dates_in` gives the first phrase that names a time the question asks about, and its days;
`rag.when` turns it into the publication dates an answer reads.
"""

from __future__ import annotations

import calendar
import warnings
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from .text import MONTHS, NUMBER_WORDS
from .text import words as _words

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
#: Words before "the" that make "the 6th of January" a time rather than a name.
_AT = _FRAMES | {"on", "at"}


def word_before(question: str, phrase: str) -> str:
    head = question[: question.find(phrase)] if phrase in question else ""
    words = _words(head)
    return words[-1] if words else ""


def dates_in(question: str, as_of: date) -> tuple[str, date, date] | None:
    """The first date phrase in the question and the days it covers."""
    from dateparser.search import search_dates

    settings = _settings(as_of)
    with warnings.catch_warnings():  # dateparser warns about the local timezone; dates only here
        warnings.simplefilter("ignore")
        hits = search_dates(question, languages=["en"], settings=settings) or []
    for found in _joined(question, [phrase for phrase, _ in hits]):
        phrase = _trimmed(found)
        said = _words(phrase)
        before = word_before(question, phrase)
        head = _words(question[: question.find(phrase)]) if phrase in question else []
        if not said or _names_an_event(head, said) or _a_name(question, phrase):
            continue
        framed = bool(said) and (said[0] in _FRAMES or before in _FRAMES)
        # "since March 1", "before Tuesday": one end of a stretch that reaches the as-of day
        ends = {before, said[0] if said else ""} & (SINCE | UNTIL)
        span = _span(phrase, as_of, framed, anchored=before in _ANCHORS or bool(ends))
        # subtle: a period after the as-of day is a plan ("to be completed in 2026") or a
        # misreading ("After 26 years alone"), and would admit nothing
        if span is not None and span[0] <= as_of:
            return (phrase, *span)
    return None


def _names_an_event(head: list[str], said: list[str]) -> bool:
    """A date after "the" names an event, not when it was reported: "false depictions of the
    January 6, 2021, attack", "interference in the 2020 election", "the 2022-23 season". "On
    the 6th of May" and "the last year" are times.

    >>> _names_an_event(["depictions"], ["of", "the", "january", "6", "2021"])
    True
    >>> _names_an_event(["interference"], ["in", "the", "2020"])
    True
    >>> _names_an_event(["happened", "on"], ["the", "6th", "of", "may"])
    False
    """
    if _ANCHORS.intersection(said):
        return False
    lead = [*head, *said]
    i = len(head)
    while i < len(lead) and lead[i] in _AT | {"of", "the"}:
        i += 1
    if i < 1 or i >= len(lead) or lead[i - 1] != "the":
        return False
    if lead[i] in MONTHS or (lead[i].isdigit() and len(lead[i]) == 4):
        return True  # "the 2020 election", "the January 6 attack": a name, whatever is before
    return i < 2 or lead[i - 2] not in _AT


def _a_name(question: str, phrase: str) -> bool:
    """Time words capitalised inside a sentence, and none in lower case, are a name: "USA
    TODAY", "the Today programme", "This Week with George Stephanopoulos" ("Independence Day
    this week" still says "this week").

    >>> _a_name("Which paper is USA TODAY?", "TODAY"), _a_name("Today, who won?", "Today")
    (True, False)
    """
    at, named, timed = question.find(phrase), False, False
    if at < 0:
        return False
    for tok in phrase.split():
        at = question.find(tok, at)
        word = tok.strip(",.;:!?\"'“”‘’()")
        if word.lower() in _ANCHORS | _UNITS:
            before = question[:at].rstrip()
            capital = word[:1].isupper() and bool(before) and before[-1] not in '.?!:"“'
            named, timed = named or capital, timed or not capital
        at += len(tok)
    return named and not timed


def _trimmed(phrase: str) -> str:
    """The phrase without numbers that count something else ("91 this week" from "died at
    age 91 this week", "this week at 77", "by a 7" of "a 7.0-magnitude earthquake"): a
    number counts as a date only beside a month, before a unit ("3 days ago") or as a year.

    >>> _trimmed("this week at 77"), _trimmed("91 this week"), _trimmed("by a 7")
    ('this week', 'this week', '')
    >>> _trimmed("on 5 March 2025"), _trimmed("since June 13")
    ('on 5 March 2025', 'since June 13')

    A word like "after" inside the phrase starts another: "this week" of "retired this week
    after 47 years at the helm".

    >>> _trimmed("this week after 47 years at the"), _trimmed("this week of a 1986")
    ('this week', 'this week')
    """
    said = phrase.split()
    inner = [i for i, w in enumerate(said) if i and w.lower() in SINCE | UNTIL]
    # "this week of a 1986 dive": a year after "a" or "the" names something of its own
    inner += [i for i, w in enumerate(said[:-1]) if i and w.lower() in ("a", "an", "the")
              and said[i + 1].isdigit() and len(said[i + 1]) == 4]  # fmt: skip
    said = said[: min(inner)] if inner else said
    while len(said) > 1 and said[-1].lower() == "of":
        said.pop()
    low = [w.lower().strip(",.") for w in said]

    def counts(i: int) -> bool:  # a bare number: not a year, a month's day, or "3 days"
        near = {low[j] for j in (i - 1, i + 1) if 0 <= j < len(low)}
        year = low[i].isdigit() and len(low[i]) == 4
        unit = i + 1 < len(low) and low[i + 1] in _UNITS
        return low[i][:1].isdigit() and not (year or unit or near & set(MONTHS))

    if not any(counts(i) for i in range(len(said))):
        return " ".join(said)
    # what stood next to a dropped number goes with it ("at", "after", "by a")
    first = next((i for i in range(len(said)) if counts(i)), len(said))
    head = said[:first]
    while head and head[-1].lower() in _AT | {"a", "an", "after", "at"}:
        head.pop()
    tail = said[first + 1 :] if first == 0 else []
    return " ".join(head or tail)


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
