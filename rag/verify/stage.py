"""A backend's draft (Reply or quoted Answer) + its passages -> the Answer a reader sees.

The one place answers are checked, called once by the engine whatever the backend:
- a `Reply` (generated text): markers parsed, "the passages don't say" sentences set aside, every
  sentence judged by the support checker and cited to the exact sentence that backs it; when
  none is left, an abstention with the closest passages as related;
- an `Answer` of quotes (the extractive backend): graded by term containment;
then, for both, every citation's quote must sit at its offsets in its article.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..answer.markers import is_gap, parse_answer
from ..types import Answer, Article, Passage, Reply
from .citations import verify_citations
from .drafts import verify_drafts
from .judgement import Checker

# (question, passages, question vector, backend name) -> an abstention naming the closest passages
Abstain = Callable[[str, Sequence[Passage], np.ndarray, str], Answer]


@dataclass
class Verifier:
    """Checks drafts with one support checker against one index's articles."""

    checker: Checker
    article: Callable[[str], Article | None]
    abstain: Abstain
    mode: str = "flag"  # RAG_VERIFY: flag or drop unsupported sentences

    def verify(
        self, draft: Reply | Answer, passages: Sequence[Passage], vector: np.ndarray
    ) -> Answer:
        t0 = time.perf_counter()
        if isinstance(draft, Reply):
            checked = self.check(draft, passages, vector)
            answer = verify_citations(checked, self.article, regrade=False)
        else:
            answer = verify_citations(draft, self.article, regrade=True)
        if not isinstance(draft, Reply):  # quotes: nothing was judged, only offsets checked
            return answer
        spent = (time.perf_counter() - t0) * 1000
        return replace(answer, timings={**answer.timings, "verify": spent})

    def check(self, reply: Reply, passages: Sequence[Passage], vector: np.ndarray) -> Answer:
        """Parse markers, judge every sentence, renumber; a bare 'no answer' -> abstention."""
        drafts = parse_answer(reply.text, len(passages))
        claims = [d for d in drafts if not (is_gap(d.text) and not d.cites)]
        sentences, citations = verify_drafts(claims, passages, self.checker, self.mode)
        if not sentences:  # only "the passages don't say", or every sentence dropped
            return self.abstain(reply.question, passages, vector, reply.backend)
        body = " ".join(
            s.text + (" " + "".join(f"[{n}]" for n in s.citations) if s.citations else "")
            for s in sentences
        )
        return Answer(reply.question, body, sentences, citations, backend=reply.backend)
