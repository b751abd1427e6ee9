"""A numbered list in generated text -> one piece per item, each item knowing its lead-in.

Sentence splitting cuts "X needed to do the following: 1. To explain themselves 2. To set a
firm deadline [1]" into "…following: 1.", "To explain themselves 2.", "To set a firm deadline
[1]": the numbers land on the wrong piece, and an item read alone ("To set a firm deadline")
can be an article phrase that the checker passes while the list, read with its lead-in, says
something false. Here each number goes back to its item, a bare "1." joins the item after it,
and an item that is not a sentence of its own (it opens with "to" or a lower-case word)
carries its lead-in, which the support check reads with it.
"""

from __future__ import annotations

import re

_TRAILING_NUMBER = re.compile(r"(?:^|\s)(\d{1,2})[.)]$")
_LEADING_NUMBER = re.compile(r"^(\d{1,2})[.)](?:\s+|$)")
_FRAGMENT = re.compile(r"^(?:[Tt]o\s|[a-z])")


def _renumber(pieces: list[str], plain: list[str]) -> list[str]:
    """Move an item's number from the end of the piece before it to its own start."""
    out = list(pieces)
    expected: int | None = None
    for i in range(len(out) - 1):
        m = _TRAILING_NUMBER.search(plain[i])
        if m is None:
            expected = None
            continue
        n = int(m.group(1))
        opens = n == 1 and plain[i][: m.start()].rstrip().endswith(":")
        if not (opens or n == expected or (expected is None and plain[i].strip() == m.group())):
            expected = None
            continue
        cut = out[i].rstrip().rfind(m.group(1))
        out[i], out[i + 1] = out[i][:cut].rstrip(), f"{m.group(1)}. {out[i + 1].lstrip()}"
        plain[i] = plain[i][: m.start()].rstrip()
        expected = n + 1
    return out


def _split_inline(pieces: list[str]) -> list[str]:
    """An item holding the next item's number mid-way ("1. won it [2] 2. lost it") is two."""
    out: list[str] = []
    for piece in pieces:
        number = _LEADING_NUMBER.match(piece)
        while number is not None:
            nxt = re.search(rf"\s({int(number.group(1)) + 1})[.)]\s", piece)
            if nxt is None:
                break
            out.append(piece[: nxt.start()].rstrip())
            piece = piece[nxt.start() :].lstrip()
            number = _LEADING_NUMBER.match(piece)
        out.append(piece)
    return out


def list_items(pieces: list[str], plain: list[str]) -> list[tuple[str, str]]:
    """(piece, lead-in) for each piece; `plain` is each piece without its markers. The lead-in
    is "" except for list items that are fragments.

    >>> text = ["X had to: 1.", "To explain itself 2.", "To reply [1]", "Done."]
    >>> for item in list_items(text, ["X had to: 1.", "To explain itself 2.", "To reply", "Done."]):
    ...     print(item)
    ('X had to:', '')
    ('1. To explain itself', 'X had to')
    ('2. To reply [1]', 'X had to')
    ('Done.', '')
    >>> score = ["The score was 3 to 2.", "Fans cheered."]
    >>> [lead for _, lead in list_items(score, score)], list_items(score, score)[0][0]
    (['', ''], 'The score was 3 to 2.')
    """
    plain = list(plain)
    pieces = _split_inline(_renumber(pieces, plain))
    out: list[tuple[str, str]] = []
    lead = ""
    for piece in pieces:
        if not piece.strip():
            continue
        number = _LEADING_NUMBER.match(piece)
        if number is None:
            lead = piece.strip().rstrip(":").strip() if piece.rstrip().endswith(":") else ""
            out.append((piece, ""))
            continue
        item = piece[number.end() :]
        out.append((piece, lead if lead and _FRAGMENT.match(item) else ""))
    return out
