"""A backend's draft -> Answer with every citation checked: the verification stage.

- `citations.py`: the citation invariant (article_text[char_start:char_end] == quote);
- `judgement.py`: what a support checker returns, and the calibrated thresholds;
- `heuristic.py`, `learned.py`, `crossencoder.py`: support checkers, picked by RAG_VERIFIER
  (`CHECKERS`);
- `drafts.py`: generated sentences judged and cited to the exact sentence that backs them;
- `stage.py`: `Verifier`, which the engine calls once on every backend's draft.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import BackendError
from .citations import support_of, verify_citations
from .drafts import verify_drafts
from .heuristic import HeuristicChecker
from .judgement import PARTIAL_AT, SUPPORTED_AT, Checker, Judgement
from .stage import Verifier

if TYPE_CHECKING:
    from ..embed import Embedder
    from ..settings import Settings

__all__ = [
    "CHECKERS", "PARTIAL_AT", "SUPPORTED_AT", "Checker", "HeuristicChecker", "Judgement",
    "Verifier", "make_checker", "support_of", "verify_citations", "verify_drafts",
]  # fmt: skip


def _heuristic(arg: str, embedder: Embedder) -> Checker:
    return HeuristicChecker(embedder)


def _learned(arg: str, embedder: Embedder) -> Checker:
    from .learned import learned_checker

    return learned_checker(arg, embedder)


def _crossencoder(arg: str, embedder: Embedder) -> Checker:
    from .crossencoder import CrossEncoderChecker

    if not arg:
        raise BackendError("RAG_VERIFIER=crossencoder needs a path: crossencoder:PATH")
    return CrossEncoderChecker(arg, embedder)


# RAG_VERIFIER "name" or "name:argument" -> a support checker
CHECKERS: dict[str, Callable[[str, Embedder], Checker]] = {
    "heuristic": _heuristic,
    "learned": _learned,
    "crossencoder": _crossencoder,
}


def make_checker(settings: Settings, embedder: Embedder) -> Checker:
    """The checker RAG_VERIFIER names, or a BackendError listing the known ones."""
    kind, _, arg = settings.verifier.partition(":")
    if kind not in CHECKERS:
        raise BackendError(
            f"unknown verifier '{settings.verifier}' — set RAG_VERIFIER to heuristic, learned "
            "(or learned:PATH) or crossencoder:PATH"
        )
    return CHECKERS[kind](arg, embedder)
