"""(claim, passages) -> Judgement by a local NLI cross-encoder's entailment probability."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..text import strip_lead_in
from ..types import Passage
from .heuristic import HeuristicChecker
from .judgement import Judgement, label_of

if TYPE_CHECKING:
    from ..embed import Embedder


class CrossEncoderChecker:
    """A local NLI cross-encoder: entailment probability of the claim given the best sentences."""

    def __init__(self, path: str, embedder: Embedder) -> None:
        from pathlib import Path

        from .errors import BackendError

        if not Path(path).exists():
            raise BackendError(
                f"no cross-encoder model at {path} — set RAG_VERIFIER=crossencoder:PATH to a "
                "local NLI model folder, or RAG_VERIFIER=heuristic"
            )
        from sentence_transformers import CrossEncoder

        self.model = CrossEncoder(path, device="cpu")
        labels = {k: v.lower() for k, v in self.model.config.id2label.items()}
        entail = [k for k, v in labels.items() if v.startswith("entail")]
        if not entail:
            raise BackendError(
                f"the model at {path} has no 'entailment' label — use an NLI cross-encoder"
            )
        self.entail = int(entail[0])
        self.name = f"crossencoder:{path}"
        self.heuristic = HeuristicChecker(embedder)

    def judge(self, claim: str, passages: Sequence[Passage]) -> Judgement:
        base = self.heuristic.judge(claim, passages)
        if base.passage is None:
            return base
        premise = base.passage.chunk.text
        logits = np.asarray(self.model.predict([(premise, strip_lead_in(claim))]))[0]
        probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        score = float(probs[self.entail])
        return replace(base, label=label_of(score), score=round(score, 4))
