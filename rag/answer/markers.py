"""Generated text -> sentences with the passage numbers they cite; the same markers while streaming.

Models write citations many ways: [1], [1, 2], [1][2], [Source 1], 【1】, 【1†source】, (Source 1),
"Source 1". All become passage numbers; numbers outside 1..n_passages are dropped (the model
made them up). Display numbers are given by first citation, so the reader sees [1], [2], … in
reading order whatever the model's numbering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..segment import split_sentences
from ..text import MARKER, find_markers, marker_group, marker_ids, strip_html, strip_markers
from .lists import list_items

# The tail of a stream that may still grow into a marker: held back until it is decided.
_PARTIAL = re.compile(
    r"\s*(?:\[[^\]\n]{0,24}|【[^】\n]{0,24}|\(\s*(?:s(?:o(?:u(?:r(?:c(?:e(?:s)?)?)?)?)?)?)?[\s\d,;&-]*"
    r"|\bs(?:o(?:u(?:r(?:c(?:e(?:s)?)?)?)?)?)?(?:\s+[\d\s,;&-]*)?)?$",
    re.I,
)
_START_MARKERS = re.compile(rf"^(?:{MARKER.pattern})+", re.I)
_LIST_NUMBER = re.compile(r"^\d{1,2}[.)]\s*")


# A model saying the passages hold no answer (cited sentences beside it are still kept).
_GAP = re.compile(
    r"\b(passages?|articles?|sources?|context|text)\b[^.]{0,40}\b(do(es)?n[’']?t|do(es)? not|"
    r"never)\b[^.]{0,30}\b(say|mention|answer|contain|state|specify|include|provide)"
    r"|\b(no|not enough) (information|details?|mention)\b|\bcannot (be )?(answer|determine)",
    re.I,
)


def is_gap(sentence: str) -> bool:
    """'The passages do not say when.' -> True"""
    return bool(_GAP.search(sentence))


@dataclass(frozen=True)
class Draft:
    """One generated sentence: its text without markers, and the passages it cites (1-based)."""

    text: str
    cites: tuple[int, ...]
    unknown: tuple[int, ...] = ()  # numbers the model cited that name no passage
    lead_in: str = ""  # a list item's lead-in ("X needed to"), read with it by the check

    @property
    def claim(self) -> str:
        """What the support check judges: a list item without its number, a fragment one
        with its lead-in."""
        item = _LIST_NUMBER.sub("", self.text)
        return f"{self.lead_in} {item}" if self.lead_in else item


def parse_answer(text: str, n_passages: int) -> list[Draft]:
    """Split generated text into sentences; markers right after a full stop belong before it.

    Stray HTML tags that some models write (<p>, </b>) are removed first.
    """
    text = strip_html(text)
    spans = [text[s:e] for s, e in split_sentences(text)]
    pieces: list[str] = []
    for piece in spans:
        lead = _START_MARKERS.match(piece)
        if lead and pieces:  # "Claim. [1] Next." -> punkt puts "[1]" with "Next."
            pieces[-1] += " " + lead.group().strip()
            piece = piece[lead.end() :].strip()
        if piece:
            pieces.append(piece)
    drafts = []
    for piece, lead_in in list_items(pieces, [strip_markers(p) for p in pieces]):
        ids = [i for _, _, group in find_markers(piece) for i in group]
        known = tuple(dict.fromkeys(i for i in ids if 1 <= i <= n_passages))
        unknown = tuple(dict.fromkeys(i for i in ids if not 1 <= i <= n_passages))
        clean = strip_markers(piece)
        if clean and re.search(r"[^\W\d]", _LIST_NUMBER.sub("", clean)):
            drafts.append(Draft(clean, known, unknown, lead_in))
    return drafts


@dataclass
class MarkerStream:
    """Rewrites markers in streamed deltas to display numbers, holding back half-written ones.

    >>> s = MarkerStream(3)
    >>> s.feed("Ofcom acted 【2") + s.feed("】. Musk [9] replied [1,") + s.feed(" 2].") + s.close()
    'Ofcom acted [1]. Musk replied [2][1].'
    """

    n_passages: int
    numbers: dict[int, int] = field(default_factory=dict)  # passage -> display number
    _held: str = ""

    def number(self, passage: int) -> int:
        return self.numbers.setdefault(passage, len(self.numbers) + 1)

    def _rewrite(self, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            ids = [i for i in marker_ids(marker_group(m)) if 1 <= i <= self.n_passages]
            marks = "".join(f"[{self.number(i)}]" for i in dict.fromkeys(ids))
            return f" {marks}" if marks else ""

        return MARKER.sub(sub, text)

    def feed(self, delta: str) -> str:
        text = self._held + delta
        partial = _PARTIAL.search(text)
        cut = partial.start() if partial else len(text)
        self._held = text[cut:]
        return self._rewrite(text[:cut])

    def close(self) -> str:
        out, self._held = self._rewrite(self._held), ""
        return out
