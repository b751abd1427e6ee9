"""Text -> stemmed content terms, shared by the BM25 index and sentence scoring."""

from __future__ import annotations

import re
from functools import lru_cache

_TERM = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.UNICODE)

# Question words and fillers carry no topic; BM25's own English list is too short for questions.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    s t don ve ll re d m according said say says tell told
    """.split()  # noqa: SIM905
)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed, stopword-free terms; dotted abbreviations lose their dots.

    >>> terms("What did the U.K.'s regulators say?")
    ['uk', 'regul']
    """
    out = []
    for m in _TERM.finditer(text.lower()):
        word = m.group().replace(".", "")
        word = re.sub(r"['’]s$", "", word)
        if word and word not in STOPWORDS:
            out.append(_stem(word))
    return out


def normalise(text: str) -> str:
    """Lowercase, punctuation and articles (a, an, the) removed, whitespace collapsed.

    >>> normalise("The “Squid Game”, again!")
    'squid game again'
    """
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(w for w in text.split() if w not in {"a", "an", "the"})


def mentions(text: str, answer: str) -> bool:
    """Does the text name the answer? Whole normalised words; a long answer's last word may
    go on ("Europe" in "European regulators").

    >>> mentions("European regulators announced a plan", "Europe")
    True
    >>> mentions("Alsace is in France", "Al")
    False
    """
    want = normalise(answer)
    if not want:
        return False
    hay = f" {normalise(text)} "
    if f" {want} " in hay:
        return True
    return len(want) >= 4 and f" {want}" in hay
