"""A quoted sentence's span in its article -> the span that also says who said it.

A sentence of a quotation read alone puts its words in no one's mouth, or the wrong one's: in
`Starmer said: "It's disgraceful. X has got to get a grip of this."` the second sentence names
no speaker, and quoted beside an answer about Elon Musk it reads as his. So a citation of a
sentence inside a quotation that an earlier sentence of the paragraph opens, with its speaker,
starts at that sentence; and a quoted sentence followed by a short "she said." ends after it.
"""

from __future__ import annotations

import re

from .text import words

Span = tuple[int, int]
#: Words that attribute speech or writing to someone.
SPEECH = frozenset(
    [
        "said", "says", "say", "told", "tells", "added", "adds", "according", "asked",
        "wrote", "writes", "warned", "stated", "explained", "insisted", "argued", "noted",
        "declared", "announced", "tweeted", "posted",
    ]
)  # fmt: skip
OPENING = "“"
CLOSING = "”"
STRAIGHT = '"'
#: Words a trailing attribution ("the spokesperson said on Friday.") may have at most.
TRAILER_WORDS = 12


def speaks(text: str) -> bool:
    """Whether the text attributes speech ("she said", "according to")."""
    return bool(SPEECH.intersection(words(text)))


def open_quote(text: str) -> int:
    """Where the quotation still open at the end of `text` opens; -1 when none is.

    >>> open_quote('He said: "We will act. Soon')
    9
    >>> open_quote("“Done,” she said.")
    -1
    """
    curly = text.rfind(OPENING)
    if curly > text.rfind(CLOSING):
        return curly
    if text.count(STRAIGHT) % 2:
        return text.rfind(STRAIGHT)
    return -1


def attributed(text: str, start: int, end: int) -> Span:
    """The span of text[start:end] widened to take in its speaker, when it is a quotation's
    sentence that names none.

    >>> t = "Starmer said: “It is disgraceful. X must get a grip.”\\nOther news."
    >>> s, e = attributed(t, t.index("X must"), t.index("”") + 1)
    >>> t[s:e]
    'Starmer said: “It is disgraceful. X must get a grip.”'
    >>> t = "“We acted fast.” The regulator said so on Friday. It will report."
    >>> s, e = attributed(t, 0, t.index(" The"))
    >>> t[s:e]
    '“We acted fast.” The regulator said so on Friday.'
    """
    if speaks(text[start:end]):
        return start, end
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    sentences = _sentences(text, line_start, line_end)
    opened = open_quote(text[line_start:start])
    if opened >= 0:
        opener = next((s for s, e in sentences if s <= line_start + opened < e), None)
        if opener is not None and speaks(text[opener : line_start + opened]):
            return opener, end
    if text[start:end].rstrip().endswith((CLOSING, STRAIGHT)):
        after = next((text[s:e] for s, e in sentences if s >= end), "")
        if after and len(words(after)) <= TRAILER_WORDS and speaks(after):
            return start, text.index(after, end) + len(after)
    return start, end


_CLAUSE_BREAK = re.compile(r",\s+(?:and|but|while)\s+|;\s+")


def speaker_clause(text: str, start: int, end: int) -> Span:
    """`attributed`, but from the opener's last clause that attributes speech: who says the
    quoted words, not everything the opener also reports.

    >>> t = "The party backed it, and Starmer said: “It is vile. X must act.”"
    >>> s, e = speaker_clause(t, t.index("X must"), len(t))
    >>> t[s:e]
    'Starmer said: “It is vile. X must act.”'
    """
    s, e = attributed(text, start, end)
    if s >= start:
        return s, e
    head = text[s:start]
    opened = open_quote(head)
    head = head[:opened] if opened >= 0 else head
    for cut in reversed([m.end() for m in _CLAUSE_BREAK.finditer(head)]):
        if speaks(head[cut:]):
            return s + cut, e
    return s, e


def _sentences(text: str, start: int, end: int) -> list[Span]:
    from .segment import split_sentences

    return [(start + s, start + e) for s, e in split_sentences(text[start:end])]
