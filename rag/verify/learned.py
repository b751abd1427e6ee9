"""(claim, passages) -> Judgement by the support model: a small cross-encoder trained on real
generator errors (XSumFaith) and perturbed news sentences, joined with the facts check.

Per passage, the claim is read together with the passage's sentences that share most terms
with it (`evidence`, in article order): the model's probability that they back the claim,
the claim's facts (numbers, dates, money, names) the passage lacks, and the share of its
content terms the passage never uses and the heuristic checker's score are joined by a
logistic regression (halved per missing fact), and the result is
labelled by thresholds; weights and thresholds were fitted on articles the model never saw
(meta.json of the model folder; rag/learn/support.py builds it). The best passage decides.
onnxruntime and tokenizers only, loaded on first use; no torch at query time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import BackendError
from ..text import facts, source_facts, strip_lead_in, terms
from ..types import Passage, Support
from .heuristic import HeuristicChecker, candidate_sentences, header
from .judgement import Judgement

if TYPE_CHECKING:
    from ..embed import Embedder

SHIPPED = Path(__file__).parent.parent / "models" / "support"
EVIDENCE_SENTENCES = 3  # sentences the model reads beside the claim
FEATURES = ("logit", "missing", "novel", "heuristic", "bias")
FACT_FACTOR = 0.5  # the joined score is multiplied by this per missing fact, at most two


def evidence(claim: str, passage: Passage) -> tuple[str, list[tuple[int, int]]]:
    """The passage sentences that share most terms with the claim, joined in article order,
    and their spans, the closest first (what the model reads; training uses it too).

    subtle: the order of the spans is by shared terms (the first backs the claim best), the
    text is in article order (as a reader would see it).
    """
    spans = [(s, e) for _, s, e in candidate_sentences(claim, [passage], EVIDENCE_SENTENCES)]
    text = " ".join(passage.article.text[s:e] for s, e in sorted(spans))
    return text, spans


def cheap_signals(claim: str, passage: Passage) -> tuple[tuple[str, ...], float]:
    """The claim's facts the passage (or its headline, outlet, date) lacks, and the share of
    the claim's content terms it never uses.

    subtle: facts count against the whole passage, not the few evidence sentences: a summary
    draws names and numbers from all over a chunk.
    """
    source = f"{passage.chunk.text} {header(passage, claim)}"
    have = source_facts(source)
    missing = tuple(sorted(f for f in facts(claim) if f not in have))
    want = set(terms(claim))
    novel = len(want - set(terms(source))) / len(want) if want else 1.0
    return missing, novel


def features(prob: float, missing: int, novel: float, heuristic: float) -> np.ndarray:
    """The logistic regression's inputs: model logit, missing facts (at most 2), novel share,
    the heuristic checker's score."""
    p = min(max(prob, 1e-6), 1 - 1e-6)
    return np.array([np.log(p / (1 - p)), min(missing, 2), novel, heuristic, 1.0])


def combined(weights: dict[str, float], x: np.ndarray) -> float:
    """The score from the features: the fitted logistic regression, halved per missing fact.

    subtle: the halving is a rule, not a weight: XSumFaith's claims are lower-cased, so its
    facts are numbers alone, and a weight fitted there says a changed name or number costs
    nothing; a claim naming what the passage does not is never backed by it.
    """
    z = float(np.dot([weights[k] for k in FEATURES], x))
    return FACT_FACTOR ** int(x[FEATURES.index("missing")]) / (1 + np.exp(-z))


class LearnedChecker:
    """The support model in `folder` (model.onnx, tokenizer.json, meta.json), with the
    heuristic checker on the index's encoder as one of its signals."""

    def __init__(self, embedder: Embedder, folder: Path = SHIPPED) -> None:
        from ..answer_model import AnswerModel

        self.folder = Path(folder)
        if not (self.folder / "meta.json").exists():
            raise BackendError(
                f"no support model in {self.folder} — run `make train-support`, or set "
                "RAG_VERIFIER=learned for the shipped one"
            )
        self.model = AnswerModel(self.folder)  # the same ONNX cross-encoder runtime
        meta: dict[str, Any] = self.model.meta
        self.weights: dict[str, float] = meta["combine"]
        self.supported_at = float(meta["supported_at"])
        self.partial_at = float(meta["partial_at"])
        self.heuristic = HeuristicChecker(embedder)
        self.name = f"learned ({self.folder.name}: cross-encoder + facts + heuristic)"

    def label(self, score: float) -> Support:
        if score >= self.supported_at:
            return "supported"
        return "partial" if score >= self.partial_at else "unsupported"

    def judge_passage(self, claim: str, passage: Passage) -> Judgement:
        """One passage: the joined score, and the sentence the heuristic finds closest."""
        text, spans = evidence(claim, passage)
        if not spans:
            return Judgement("unsupported", 0.0, None, missing=tuple(sorted(facts(claim))))
        # subtle: with no weight on the model (what the tuning claims gave the shipped one),
        # its probability cannot move the score, so it is not computed (~15 ms a chunk)
        prob = float(self.model.probabilities(claim, [text])[0]) if self.weights["logit"] else 0.5
        missing, novel = cheap_signals(claim, passage)
        near = self.heuristic.judge(claim, [passage])
        score = combined(self.weights, features(prob, len(missing), novel, near.score))
        # subtle: what the heuristic finds wrong besides facts (a flipped negation, another
        # doer, a name in another's place, an unstated link) halves the score like a missing
        # fact, a rule and not a weight: fitted on summaries, the weights all but ignore it
        vetoes = len(near.flaws) + bool(near.doer)
        score *= FACT_FACTOR ** min(vetoes, 2)
        return Judgement(self.label(score), round(score, 4), passage, near.start, near.end,
                         missing, near.doer, near.flaws)  # fmt: skip

    def judge(self, claim: str, passages: Sequence[Passage]) -> Judgement:
        """Each passage judged on its own; the best decides, citing its closest sentence."""
        claim = strip_lead_in(claim)
        judged = [self.judge_passage(claim, p) for p in passages]
        judged = [j for j in judged if j.passage is not None]
        if not judged:
            return Judgement("unsupported", 0.0, None, missing=tuple(sorted(facts(claim))))
        return max(judged, key=lambda j: j.score)


def learned_checker(arg: str, embedder: Embedder) -> LearnedChecker:
    """RAG_VERIFIER=learned (the shipped model) or learned:PATH."""
    return LearnedChecker(embedder, SHIPPED if arg in ("", "shipped") else Path(arg))
