"""A question -> its parts, when it asks two things ("What changed, and how did X react?")."""

from __future__ import annotations

import re

_WH = r"(?:how|what|when|where|who|whom|whose|why|which|did|does|do|is|are|was|were|has|have)"
# ", and how…", " and what…", "; who…": a second question opens after a conjunction or a stop
_JOIN = re.compile(rf"(?:,\s*(?:and|but)\s+|\s+(?:and|but)\s+|;\s*)(?={_WH}\b)", re.I)


def question_parts(question: str) -> list[str]:
    """The parts of a two-part question, each ending with "?"; [question] when it is one.

    >>> question_parts("What did Ofcom change on Friday, and how did Downing Street react?")
    ['What did Ofcom change on Friday?', 'how did Downing Street react?']
    >>> question_parts("Who won and who lost?")
    ['Who won?', 'who lost?']
    >>> question_parts("What is the black and white bird?")
    ['What is the black and white bird?']
    """
    pieces = [p.strip(" ,;?") for p in _JOIN.split(question.strip())]
    pieces = [p for p in pieces if len(p.split()) >= 2]
    if len(pieces) < 2 or not re.match(rf"{_WH}\b", pieces[0], re.I):
        return [question]
    return [f"{p}?" for p in pieces]
