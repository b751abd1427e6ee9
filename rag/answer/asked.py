"""What kind of thing a question asks for (a number, a date, a length of time, a quote), and
whether a sentence holds one: the extractive answerer's regular-expression answer types."""

from __future__ import annotations

import re

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
_SAID_Q = re.compile(r"\bwhat (did|does|has|have) .+ (say|said|tell|told|write|wrote)\b", re.I)
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
    r"|june|july|august|september|october|november|december|yesterday|today|tomorrow|week|month"
    r"|year|summer|winter|spring|autumn)\b|\b(1[89]|20)\d\d\b",
    re.I,
)


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
    >>> [type_match("How long is it?", s) for s in ("It is 3,200 metres long.", "A century.")]
    [True, True]
    >>> type_match("What Election Day problems were reported?", "Queues were long.") is None
    True
    """
    if _WHEN_Q.search(question):
        return bool(_DATE.search(sentence))
    if _DURATION_Q.search(question):  # a length of time, not any number ("one person said")
        return bool(_DURATION.search(sentence))
    if _NUMERIC_Q.search(question):
        return bool(_NUMBER.search(sentence))
    if _SAID_Q.search(question):
        return bool(_QUOTE.search(sentence))
    return None


def asks_figure(question: str) -> bool:
    """A how-many, how-long or when question: only a sentence with a number or date answers."""
    return bool(
        _NUMERIC_Q.search(question) or _WHEN_Q.search(question) or _DURATION_Q.search(question)
    )
