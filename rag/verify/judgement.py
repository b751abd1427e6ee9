"""What a support checker says about a claim: label, score, and the sentence that backs it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..types import Passage, Support

# Calibrated operating point (`rag calibrate`; docs/evaluation.md).
SUPPORTED_AT = 0.50
PARTIAL_AT = 0.30


@dataclass(frozen=True)
class Judgement:
    """How well passages back a claim, and the sentence that backs it best."""

    label: Support
    score: float
    passage: Passage | None
    start: int = 0
    end: int = 0
    missing: tuple[str, ...] = ()
    doer: str | None = None  # who the backing sentence says did it, when the claim says another
    # what else the claim says that its evidence does not: a flipped negation, a name in
    # another's place, a link never stated (said as a reader's note)
    flaws: tuple[str, ...] = ()


class Checker(Protocol):
    """A support checker: does any of these passages back the claim, and which sentence?"""

    name: str

    def judge(self, claim: str, passages: Sequence[Passage]) -> Judgement: ...


def label_of(score: float) -> Support:
    if score >= SUPPORTED_AT:
        return "supported"
    return "partial" if score >= PARTIAL_AT else "unsupported"
