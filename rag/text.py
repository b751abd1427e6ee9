"""The project's one text toolkit: terms, normalised names, facts, citation markers, HTML.

- `terms`: stemmed content terms (BM25, sentence scoring, containment);
- `normalise` / `mentions`: loose matching of a short answer in a text;
- `shingles`: runs of normalised words, what copies of one story share;
- `facts` / `source_facts`: the numbers, dates and names a sentence asserts;
- `negated`: odd number of negations;
- `MARKER` / `find_markers` / `strip_markers`: citation markers, however a model writes them;
- `strip_html`: tags (and script or style contents) out of a text.
"""

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


def words(text: str) -> list[str]:
    """Lower-cased word tokens, none dropped or stemmed.

    >>> words("The latest, so far?")
    ['the', 'latest', 'so', 'far']
    """
    return [m.group() for m in _TERM.finditer(text.lower())]


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


def shingles(text: str, k: int = 3) -> set[str]:
    """Every run of k normalised words (the whole text when shorter): copies of one story with
    small edits share most of them.

    >>> sorted(shingles("The river burst its banks.", 3))
    ['burst its banks', 'river burst its']
    """
    words = normalise(text).split()
    if len(words) <= k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


# --- facts a sentence asserts -----------------------------------------------------------------

NUMBER_WORDS = {
    **{w: str(i) for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen", "twenty"]
    )},
    "thirty": "30", "forty": "40", "fifty": "50",
}  # fmt: skip
SCALES = frozenset({"million", "billion", "trillion", "hundred", "thousand", "dozen"})
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Capitalised words that start sentences without naming anything.
_STARTERS = frozenset(
    """according after also although and another as at before both but by despite during each
    earlier eventually finally first for from however if in instead it its last later many
    meanwhile more moreover most next now on other overall several since so some still such
    that the their then there these they this those thus under what when where which while
    who why with without yes yet""".split()  # noqa: SIM905
)
TOKEN = re.compile(r"[£$€]?\d[\d,.]*\d(?:%|m|bn|k|st|nd|rd|th|s)?|[\w’'.\-%£$€]+")
_NEGATION = re.compile(
    r"\b(not|no|never|none|nobody|nothing|neither|nor|cannot|without|denied|denies|deny)\b|n[’']t\b",
    re.I,
)


def norm_token(token: str) -> str:
    """A token lower-cased without dots or clitics.

    >>> [norm_token(t) for t in ["U.K.’s", "We’re", "Musk's", "3.5"]]
    ['uk', 'we', 'musk', '3.5']
    """
    t = token.casefold().strip(".-’'")
    t = re.sub(r"[’'](s|re|ve|ll|d|m|t)$", "", t)
    return t if re.fullmatch(r"[\d.,]+", t) else t.replace(".", "")


def number(token: str) -> str | None:
    """A token's number, or None.

    >>> [number(t) for t in ["1,200", "10%", "£5m", "five", "12th", "2.50", "Ofcom"]]
    ['1200', '10', '5', '5', '12', '2.5', None]
    """
    t = token.casefold().strip(".,")
    if t in NUMBER_WORDS:
        return NUMBER_WORDS[t]
    m = re.fullmatch(r"[£$€]?(\d[\d,]*(?:\.\d+)?)(?:%|m|bn|k|st|nd|rd|th|s)?", t)
    if not m:
        return None
    digits = m.group(1).replace(",", "")
    return digits.rstrip("0").rstrip(".") if "." in digits else digits


def strip_possessive(name: str) -> str:
    """A name without its possessive ending.

    >>> strip_possessive("Paul Denning’s"), strip_possessive("Reuters")
    ('Paul Denning', 'Reuters')
    """
    return re.sub(r"[’']s$", "", name)


def is_name(token: str, low: str) -> bool:
    """A capitalised token that is neither a stopword nor a usual sentence opener."""
    return token[:1].isupper() and bool(low) and low not in STOPWORDS and low not in _STARTERS


_MONTH_LEAD = frozenset("in on since until by from early late mid last next of".split())  # noqa: SIM905
_ONE_LEAD = frozenset("no any every each the this that which at".split())  # noqa: SIM905


def _not_a_fact(tokens: list[str], i: int) -> bool:
    """Is tokens[i] the verb "may" or the pronoun "one", which look like a month and a number?"""
    low, before = tokens[i].casefold(), tokens[i - 1].casefold() if i else ""
    after = tokens[i + 1].casefold() if i + 1 < len(tokens) else ""
    if low == "may":  # capitalised inside a sentence: "Theresa May", "on 3 May"
        named = tokens[i][0].isupper() and i > 0
        return not named and before not in _MONTH_LEAD and number(after) is None
    return low == "one" and (before in _ONE_LEAD or after == "of")


def facts(text: str) -> set[str]:
    """Numbers, months, weekdays, scale words and proper names in a sentence, normalised (not
    the verb "may" nor the pronoun "one").

    >>> sorted(facts("Ofcom fined X £5m on Tuesday."))
    ['5', 'ofcom', 'tuesday', 'x']
    >>> sorted(facts("One of the firms may face a fine in may, one source said."))
    ['1', 'may']
    """
    out: set[str] = set()
    tokens = TOKEN.findall(text)
    for i, tok in enumerate(tokens):
        if _not_a_fact(tokens, i):
            continue
        num, low = number(tok), norm_token(tok)
        if num is not None:
            out.add(num)
        elif low in MONTHS or low in WEEKDAYS or low in SCALES or is_name(tok, low):
            out.add(low)
    return out


def source_facts(text: str) -> set[str]:
    """Everything a passage could back: its facts plus all its lower-cased words."""
    out = facts(text)
    for tok in TOKEN.findall(text):
        num = number(tok)
        out.add(num if num is not None else norm_token(tok))
    return out


def is_question(text: str) -> bool:
    """A sentence that asks rather than states (it ends with a question mark, markers aside).

    >>> is_question("What is the book titled? [2]"), is_question("He asked why?” she said.")
    (True, False)
    """
    return strip_markers(text).rstrip().rstrip("\"'”’)»").endswith("?")


_LEAD_IN = re.compile(
    r"^(?:(?:according to|based on|as (?:stated|said|reported|described) in|from)\s+"
    r"(?:the\s+)?(?:information\s+(?:provided|given)\s+(?:in|by)\s+)?(?:the\s+)?"
    r"(?:passages?|articles?|sources?|text|context|reports?)\b(?:\s+(?:from|about)\b[^,]{0,60})?"
    r"\s*,\s*"
    r"|the\s+(?:passages?|articles?|text)\s+(?:states?|says?|reports?|notes?)(?:\s+that)?\s*:?\s*)",
    re.I,
)


def strip_lead_in(text: str) -> str:
    """A sentence without a lead-in that names the passages rather than the news ("According
    to the passage, …", "The passage states: “…”"): what is left is the claim to check.

    >>> strip_lead_in("According to the passage [n=3], BA.2 is dominant.")
    'BA.2 is dominant.'
    >>> strip_lead_in('The passage states: "Shenzhen offers cash."')
    'Shenzhen offers cash.'
    >>> strip_lead_in("According to police, two men were held [2].")
    'According to police, two men were held.'
    """
    plain = strip_markers(text).strip()
    rest = _LEAD_IN.sub("", plain, count=1).strip()
    if rest == plain or len(rest) < 3:
        return plain
    if rest[0] in "\"“'‘" and rest.rstrip(".")[-1] in "\"”'’":  # the passage's words, quoted
        rest = rest.strip(".").strip("\"“”'‘’").strip()
        rest = rest if rest.endswith((".", "!", "?")) else rest + "."
    return rest[:1].upper() + rest[1:]


def negated(text: str) -> bool:
    """An odd number of negations.

    >>> negated("They did not meet."), negated("Not that they didn't meet.")
    (True, False)
    """
    return len(_NEGATION.findall(text)) % 2 == 1


def spelled_date(iso: str) -> str:
    """'2024-03-05' -> '5 march 2024'; anything else -> ''."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", iso):
        return ""
    y, m, d = iso.split("-")
    return f"{int(d)} {MONTHS[int(m) - 1]} {y}"


# --- citation markers -------------------------------------------------------------------------

_IDS = r"\d{1,3}(?:\s*(?:,|;|&|and|-|–)\s*\d{1,3})*"
# [1], [1, 2], [1][2], [Source 1], [n=1] (the prompt's passage tag), 【1】, 【1†source】,
# (Source 1), "Source 1"
MARKER = re.compile(
    rf"\s*(?:\[\s*(?:sources?\s*|passages?\s*|n\s*=\s*)?(?P<a>{_IDS})\s*\]"
    rf"|【\s*(?P<b>{_IDS})[^】]{{0,20}}】"
    rf"|\(\s*sources?\s*(?P<c>{_IDS})\s*\)"
    rf"|\bsources?\s+(?P<d>{_IDS})\b)",
    re.I,
)
# Markers that end a text (a sentence's own, written after it).
TRAILING_MARKERS = re.compile(rf"(?:{MARKER.pattern})+\s*$", re.I)


def marker_ids(group: str) -> list[int]:
    """'1, 2' -> [1, 2]; '2-4' -> [2, 3, 4] (a range spans at most 10).

    >>> marker_ids("3; 1 and 2-4")
    [3, 1, 2, 3, 4]
    """
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|&|and)\s*", group):
        ends = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x.isdigit()]
        if len(ends) == 2 and 0 <= ends[1] - ends[0] <= 10:
            out.extend(range(ends[0], ends[1] + 1))
        elif ends:
            out.append(ends[0])
    return out


def marker_group(m: re.Match[str]) -> str:
    """The numbers part of a MARKER match."""
    return next(g for g in m.group("a", "b", "c", "d") if g is not None)


def find_markers(text: str) -> list[tuple[int, int, list[int]]]:
    """(start, end, passage numbers) of every citation marker in the text.

    >>> find_markers("Ofcom acted [1, 2].")
    [(11, 18, [1, 2])]
    """
    return [(m.start(), m.end(), marker_ids(marker_group(m))) for m in MARKER.finditer(text)]


def strip_markers(text: str) -> str:
    """'Ofcom acted [1][2].' -> 'Ofcom acted.'

    >>> strip_markers("Ofcom acted [1][2]. Musk replied. [3]")
    'Ofcom acted. Musk replied.'
    """
    return re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text)).strip()


# --- markup -----------------------------------------------------------------------------------

_MARKUP = re.compile(
    r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|</?[a-zA-Z][^<>]{0,300}>", re.I | re.S
)


def strip_html(text: str) -> str:
    """Tags out (script and style with their contents), each replaced by a space.

    >>> strip_html("<b>Who</b> won?<script>alert(1)</script>")
    ' Who  won? '
    """
    return _MARKUP.sub(" ", text)
