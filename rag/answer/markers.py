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

_IDS = r"\d{1,3}(?:\s*(?:,|;|&|and|-|–)\s*\d{1,3})*"
MARKER = re.compile(
    rf"\s*(?:\[\s*(?:sources?\s*)?(?P<a>{_IDS})\s*\]"
    rf"|【\s*(?P<b>{_IDS})[^】]{{0,20}}】"
    rf"|\(\s*sources?\s*(?P<c>{_IDS})\s*\)"
    rf"|\bsources?\s+(?P<d>{_IDS})\b)",
    re.I,
)
# The tail of a stream that may still grow into a marker: held back until it is decided.
_PARTIAL = re.compile(
    r"\s*(?:\[[^\]\n]{0,24}|【[^】\n]{0,24}|\(\s*(?:s(?:o(?:u(?:r(?:c(?:e(?:s)?)?)?)?)?)?)?[\s\d,;&-]*"
    r"|\bs(?:o(?:u(?:r(?:c(?:e(?:s)?)?)?)?)?)?(?:\s+[\d\s,;&-]*)?)?$",
    re.I,
)
_START_MARKERS = re.compile(rf"^(?:{MARKER.pattern})+", re.I)


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


def find_markers(text: str) -> list[tuple[int, int, list[int]]]:
    """(start, end, passage numbers) of every citation marker in the text."""
    found = []
    for m in MARKER.finditer(text):
        group = next(g for g in m.group("a", "b", "c", "d") if g is not None)
        found.append((m.start(), m.end(), marker_ids(group)))
    return found


def strip_markers(text: str) -> str:
    """'Ofcom acted [1][2].' -> 'Ofcom acted.'"""
    return re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text)).strip()


@dataclass(frozen=True)
class Draft:
    """One generated sentence: its text without markers, and the passages it cites (1-based)."""

    text: str
    cites: tuple[int, ...]
    unknown: tuple[int, ...] = ()  # numbers the model cited that name no passage


_HTML = re.compile(r"</?[a-zA-Z][^<>]{0,300}>")


def parse_answer(text: str, n_passages: int) -> list[Draft]:
    """Split generated text into sentences; markers right after a full stop belong before it.

    Stray HTML tags that some models write (<p>, </b>) are removed first.
    """
    text = _HTML.sub(" ", text)
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
    for piece in pieces:
        ids = [i for _, _, group in find_markers(piece) for i in group]
        known = tuple(dict.fromkeys(i for i in ids if 1 <= i <= n_passages))
        unknown = tuple(dict.fromkeys(i for i in ids if not 1 <= i <= n_passages))
        clean = strip_markers(piece)
        if clean and re.search(r"\w", clean):
            drafts.append(Draft(clean, known, unknown))
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
            group = next(g for g in m.group("a", "b", "c", "d") if g is not None)
            ids = [i for i in marker_ids(group) if 1 <= i <= self.n_passages]
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
