"""What kind of thing a question asks for (a number, a date, a length of time, a quote), and
whether a sentence holds one: the extractive answerer's regular-expression answer types; and
whom a yes/no question asks about, which a sentence must name to answer it. Which one a
which-one question asks for, and whose words a what-did-X-say question, are in naming.py."""

from __future__ import annotations

import itertools
import re

from ..text import strip_possessive, terms

_NUMERIC_Q = re.compile(
    r"\bhow (many|much|far|long|old|big|large|tall|high|often)\b|\bwhat (percentage|share|number"
    r"|amount|price|cost)\b",
    re.I,
)
# "when" opens the question ("When did…", "…, and when?"), not a clause ("respond when asked")
_WHEN_Q = re.compile(
    r"^\W*when\b|\band when\b|\bwhat time\b|\b(what|which)( (calendar|exact|specific|precise"
    r"|particular))? (day|date|weekday|year|month)\b",
    re.I,
)
_DURATION_Q = re.compile(
    r"\bhow long\b|\bfor how many (seconds|minutes|hours|days|weeks|months)\b", re.I
)
SAID_Q = re.compile(
    r"\bwhat (exactly |else )?(did|does|has|have) (?P<who>.+?) (say|said|tell|told|write|wrote)\b",
    re.I,
)
_QUOTE = re.compile(r"[“”\"]")
_WORD_NUMBER = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
    r"|hundred|several|few|many|dozens of|hundreds of"
)
# A length of time for a how-long question: any figure written in digits, a worded amount of
# time ("six weeks", "a decade"), or a span ("since 2015", "until 30 June"). Worded numbers
# alone are not enough: "one person said…", "a second person said…".
_DURATION = re.compile(
    rf"\d|\b(a|an|{_WORD_NUMBER})[ -](more |full |whole )?(minute|min|hour|hr|day|night|week"
    rf"|fortnight|month|year|yr|decade|centur(y|ie))s?\b|\b({_WORD_NUMBER}) seconds\b"
    r"|\b(fortnight|overnight|for life|all (day|night|week))\b"
    r"|\b(since|until|till|through)\b[^.;]{0,30}\b(monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday|january|february|march|april|may|june|july|august|september|october"
    r"|november|december|spring|summer|autumn|winter|last|next|the end)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may"
    r"|june|july|august|september|october|november|december|yesterday|today|tomorrow|tonight"
    r"|week|month|year|summer|winter|spring|autumn|noon|midnight)\b|\b(1\d|20)\d\ds?\b|[‘'’]\d0s\b"
    r"|\b\d{1,2}(:\d\d)? ?(a\.?m\b|p\.?m\b|o’clock|o'clock)",
    re.I,
)
# "on what calendar date": a day of a month, not "yesterday" or "on Monday"
_CALENDAR_Q = re.compile(r"\b(calendar|exact|specific|precise) date\b|\b(what|which) date\b", re.I)
_MONTH = (
    r"(january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?"
)
_CALENDAR_DATE = re.compile(
    rf"\b\d{{1,2}}(st|nd|rd|th)?( of)? {_MONTH}(?!\w)|\b{_MONTH} \d{{1,2}}\b"
    r"|\b\d{1,2}/\d{1,2}(/\d{2,4})?\b|\b\d{4}-\d\d-\d\d\b",
    re.I,
)
# in the order type_match reads them
_FIGURES = (
    (_CALENDAR_Q, "calendar date"),
    (_WHEN_Q, "date"),
    (_DURATION_Q, "length of time"),
    (_NUMERIC_Q, "number"),
)
# the question a lead sentence comes before: "When she died, the Queen left four dogs. Who
# will take care of them?" asks who, not when
_LEAD = re.compile(r"^.*[.!]\s+(?=(who|whom|whose|what|which|when|where|why|how|in what)\b)", re.I)


def asked(question: str) -> str:
    """The question itself, without the statements before it.

    >>> asked("When she died, the Queen left four dogs. Who will take care of them?")
    'Who will take care of them?'
    >>> asked("When did the U.S. President sign it?")
    'When did the U.S. President sign it?'
    """
    return _LEAD.sub("", question, count=1)


def type_match(question: str, sentence: str) -> bool | None:
    """Does the sentence hold what a how-many / when / what-did-X-say question asks for?

    None when the question asks for no such thing.

    >>> type_match("When does the bridge close?", "It closes on 14 March.")
    True
    >>> type_match("How long did the meeting last?", "A second person said it went well.")
    False
    >>> type_match("How long will the bridge be shut?", "It shuts for six weeks.")
    True
    >>> type_match("On what calendar date did they meet?", "They met in Washington.")
    False
    >>> [type_match("On what date did they meet?", s) for s in ("They met yesterday.",
    ...     "They met on 12 January.", "They met on Sept. 3.", "They met on Monday, March 2.",
    ...     "She ran 3 marathons.")]
    [False, True, True, True, False]
    >>> [type_match("How long is it?", s) for s in ("It is 3,200 metres long.", "A century.")]
    [True, True]
    >>> type_match("What Election Day problems were reported?", "Queues were long.") is None
    True
    """
    question = asked(question)
    if _CALENDAR_Q.search(question):
        return bool(_CALENDAR_DATE.search(sentence))
    if _WHEN_Q.search(question):
        return bool(_DATE.search(sentence))
    if _DURATION_Q.search(question):  # a length of time, not any number ("one person said")
        return bool(_DURATION.search(sentence))
    if _NUMERIC_Q.search(question):
        return bool(_NUMBER.search(sentence))
    if SAID_Q.search(question):
        return bool(_QUOTE.search(sentence))
    return None


def asks_figure(question: str) -> bool:
    """A how-many, how-long or when question: only a sentence with a number or date answers."""
    return figure_asked(question) is not None


def figure_asked(question: str) -> str | None:
    """What a how-many, how-long or when question needs a sentence to hold, in words.

    >>> figure_asked("On what calendar date did they meet?"), figure_asked("Who won?")
    ('calendar date', None)
    """
    question = asked(question)
    for pattern, kind in _FIGURES:
        if pattern.search(question):
            return kind
    return None


_WORD = re.compile(r"[\w’'-]+")
DETERMINERS = frozenset(("the", "a", "an", "any", "this", "that", "these", "those", "its"))
PRONOUNS = frozenset(("i", "you", "he", "she", "it", "we", "they", "there", "anyone", "someone"))
_POLAR = re.compile(
    r"^\W*(has|have|had|is|are|was|were|did|does|do|will|would|can|could|should)\b", re.I
)


def polar_subject(question: str) -> str | None:
    """The word a yes/no question's subject turns on, or None (another kind of question, or a
    pronoun subject). A sentence that never names it cannot say yes or no: "Has Donald Trump
    commented on the controversy?" is not answered by a sentence about Ofcom's response.

    Read without a parser (loading one would add ~2 s to a cold `rag ask`): after the
    auxiliary and any determiner, a capitalised run's last word ("Donald Trump" -> "Trump"),
    else the first word.

    >>> polar_subject("Has Donald Trump commented on the Grok image controversy?")
    'Trump'
    >>> polar_subject("Have police in the UK opened a criminal investigation?")
    'police'
    >>> polar_subject("Has the European Commission's office opened proceedings?")
    'Commission'
    >>> polar_subject("Did he resign?"), polar_subject("Who resigned?")
    (None, None)
    """
    m = _POLAR.match(question)
    if not m:
        return None
    words = [strip_possessive(w) for w in _WORD.findall(question[m.end() :])]
    while words and words[0].casefold() in DETERMINERS:
        words = words[1:]
    if not words or words[0].casefold() in PRONOUNS:
        return None
    run = list(itertools.takewhile(lambda w: w[:1].isupper(), words))
    return run[-1] if run else words[0]


def names_subject(subject: str, sentence: str) -> bool:
    """Does the sentence name the subject (the same stemmed word)?

    >>> names_subject("police", "Police said they had opened an inquiry.")
    True
    """
    return set(terms(subject)) <= set(terms(sentence))
