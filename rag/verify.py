"""Answer -> Answer with every citation checked against the article text it quotes.

Two jobs:
- `verify_citations`: the citation invariant (article_text[char_start:char_end] == quote, else
  the citation is dropped) and, for quoted answers, term containment of each sentence in its quotes.
- `HeuristicChecker`: does a passage support a generated sentence? It combines
  (a) a faithfulness check: every number, month, weekday and proper name of the sentence must
      appear (normalised) in the cited passages or their headers;
  (b) containment: the share of the sentence's content terms found in the passages, and a
      penalty for each further term the passages never use (an added detail);
  (c) similarity: the cosine between the sentence and the passages' closest sentence, with the
      index's encoder (MiniLM by default);
  minus penalties for a flipped negation and for echoing an instruction found in an article.
  The score's thresholds were calibrated with `rag calibrate` (see README).
`verify_drafts` applies a checker to every generated sentence: supported ones are cited to the
exact article sentence that backs them; unsupported ones are re-attributed to another retrieved
passage when one supports them, else flagged (RAG_VERIFY=flag) or dropped (drop).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .text import facts, negated, source_facts, spelled_date, strip_markers, terms
from .types import Answer, AnswerSentence, Article, Citation, Passage, Support

if TYPE_CHECKING:
    from .answer.markers import Draft
    from .embed import Embedder
    from .settings import Settings

# Calibrated operating point (`rag calibrate`, README "Verification").
SUPPORTED_AT = 0.50
PARTIAL_AT = 0.30
CONTAINMENT_WEIGHT = 0.5
FACT_PENALTY = 0.5  # per missing fact, at most two counted
NEGATION_PENALTY = 0.5
INSTRUCTION_PENALTY = 1.0
NOVEL_PENALTY = 0.15  # per content term beyond the first that the passages never use
CANDIDATES = 4  # passage sentences compared by embedding, picked by shared terms
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b[^.]{0,60}\b(instructions?|prompts?|rules|directions)\b"
    r"|\byou are now\b|\bsystem prompt\b"
    r"|\b(reply|respond|answer|say|write)\b[^.]{0,20}\bonly\b"
    r"|\b(reply|respond)\s+(with\s+)?['\"‘“]",
    re.I,
)


def support_of(sentence: str, quotes: list[str]) -> Support:
    """Term containment of a sentence in quotes: all terms -> supported, half -> partial."""
    claim = set(terms(strip_markers(sentence)))
    if not quotes:
        return "unsupported"
    if not claim:
        return "supported"
    backed = set().union(*(terms(q) for q in quotes))
    share = len(claim & backed) / len(claim)
    if share >= 1.0:
        return "supported"
    return "partial" if share >= 0.5 else "unsupported"


def verify_citations(
    answer: Answer, article: Callable[[str], Article | None], regrade: bool = True
) -> Answer:
    """Drop citations whose quote is not at its offsets; with regrade, grade by containment."""
    valid = {}
    for c in answer.citations:
        art = article(c.doc_id)
        if art is not None and art.text[c.char_start : c.char_end] == c.quote:
            valid[c.n] = c
    sentences = []
    for s in answer.sentences:
        cited = tuple(n for n in s.citations if n in valid)
        quotes = [valid[n].quote for n in cited]
        if regrade or len(cited) < len(s.citations):
            support = support_of(s.text, quotes) if regrade else "unsupported"
            s = replace(s, citations=cited, support=support)
        sentences.append(s)
    kept = tuple(c for c in answer.citations if c.n in valid)
    return replace(answer, sentences=tuple(sentences), citations=kept)


def header(p: Passage) -> str:
    """Headline, outlet and date of a passage's article (the date also spelled out)."""
    a = p.article
    extra = [a.title, a.source or "", spelled_date(a.published or "")]
    return " ".join(e for e in extra if e)


def passage_source(p: Passage) -> str:
    """The text a citation of this passage vouches for: chunk, headline, outlet, date."""
    return f"{p.chunk.text} {header(p)}"


def negated_like(source: str, claim: str) -> bool:
    """Is the source negated in the clauses the claim draws on (2+ shared terms)?

    >>> negated_like("They met in Paris, which they weren't allowed to say.", "They met in Paris.")
    False
    """
    want = set(terms(claim))
    clauses = re.split(r"[,;:—–]\s+", source)
    used = [c for c in clauses if len(want & set(terms(c))) >= 2] or clauses
    return negated(" ".join(used))


# --- the checker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    """How well passages back a claim, and the sentence that backs it best."""

    label: Support
    score: float
    passage: Passage | None
    start: int = 0
    end: int = 0
    missing: tuple[str, ...] = ()


class Checker(Protocol):
    name: str

    def judge(self, claim: str, passages: Sequence[Passage]) -> Judgement: ...


def stored_vector(p: Passage, start: int, end: int) -> Any:
    """The sentence's vector stored at ingest, or None when the passage carries none."""
    if p.vectors is None or len(p.vectors) != len(p.chunk.sentences):
        return None
    try:
        return p.vectors[p.chunk.sentences.index((start, end))]
    except ValueError:
        return None


def label_of(score: float) -> Support:
    if score >= SUPPORTED_AT:
        return "supported"
    return "partial" if score >= PARTIAL_AT else "unsupported"


def candidate_sentences(
    claim: str, passages: Sequence[Passage], limit: int = CANDIDATES
) -> list[tuple[Passage, int, int]]:
    """The passage sentences sharing most terms with the claim (earlier passages win ties)."""
    want = set(terms(claim))
    spans = [(p, s, e) for p in passages for s, e in p.chunk.sentences]
    shared = [len(want & set(terms(p.article.text[s:e]))) for p, s, e in spans]
    order = sorted(range(len(spans)), key=lambda i: (-shared[i], i))
    return [spans[i] for i in order[:limit]]


class HeuristicChecker:
    """Facts + containment + sentence similarity; no model beyond the embedder."""

    name = "heuristic (facts + term containment + sentence similarity from the index's encoder)"

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def similarities(self, claim: str, spans: list[tuple[Passage, int, int]]) -> list[float]:
        """Cosine of the claim to each span: stored sentence vectors when the index has them."""
        claim_vec = self.embedder.encode_cached([claim])[0]
        stored = [stored_vector(p, s, e) for p, s, e in spans]
        missing = [i for i, v in enumerate(stored) if v is None]
        if missing:
            fresh = self.embedder.encode_cached([spans[i][0].article.text[spans[i][1] : spans[i][2]]
                                                 for i in missing])  # fmt: skip
            for i, v in zip(missing, fresh, strict=True):
                stored[i] = v
        return [float(np.asarray(v, dtype=np.float32) @ claim_vec) for v in stored]

    def judge(self, claim: str, passages: Sequence[Passage]) -> Judgement:
        claim = strip_markers(claim)
        spans = candidate_sentences(claim, passages)
        if not spans:
            return Judgement("unsupported", 0.0, None)
        texts = [p.article.text[s:e] for p, s, e in spans]
        sims = self.similarities(claim, spans)
        ranked = sorted(range(len(spans)), key=lambda i: -sims[i])
        best = ranked[0]
        p, s, e = spans[best]
        # facts must be in the two closest sentences (or a header), not anywhere in the passage:
        # a name or number from another sentence of the article does not back this one
        have = source_facts(" ".join([*(texts[i] for i in ranked[:2]), *map(header, passages)]))
        missing = tuple(sorted(f for f in facts(claim) if f not in have))
        claim_terms = set(terms(claim))
        source = " ".join(passage_source(q) for q in passages)
        source_terms = set(terms(source))
        contained = len(claim_terms & source_terms) / len(claim_terms) if claim_terms else 0.0
        score = CONTAINMENT_WEIGHT * contained + (1 - CONTAINMENT_WEIGHT) * sims[best]
        score -= NOVEL_PENALTY * max(0, len(claim_terms - source_terms) - 1)
        score -= FACT_PENALTY * min(len(missing), 2)
        best_text = p.article.text[s:e]
        if negated(claim) != negated_like(best_text, claim):
            score -= NEGATION_PENALTY
        if _INSTRUCTION.search(best_text) or len(claim_terms) < 2:
            score -= INSTRUCTION_PENALTY
        return Judgement(label_of(score), round(score, 4), p, s, e, missing)


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
        logits = np.asarray(self.model.predict([(premise, strip_markers(claim))]))[0]
        probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        score = float(probs[self.entail])
        return replace(base, label=label_of(score), score=round(score, 4))


def make_checker(settings: Settings, embedder: Embedder) -> Checker:
    """RAG_VERIFIER: heuristic (default) or crossencoder:PATH."""
    from .errors import BackendError

    kind, _, arg = settings.verifier.partition(":")
    if kind == "heuristic":
        return HeuristicChecker(embedder)
    if kind == "crossencoder" and arg:
        return CrossEncoderChecker(arg, embedder)
    raise BackendError(
        f"unknown verifier '{settings.verifier}' — set RAG_VERIFIER to heuristic or "
        "crossencoder:PATH"
    )


# --- generated answers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """A generated sentence after checking: its text, label and the span that backs it."""

    text: str
    judgement: Judgement
    recited: bool  # the model's own citation did not hold; another passage did


def check_draft(draft: Draft, passages: Sequence[Passage], checker: Checker) -> Verdict:
    """Judge a sentence against the passages it cites; if that fails, against the others."""
    cited = [passages[i - 1] for i in draft.cites]
    first = checker.judge(draft.text, cited) if cited else Judgement("unsupported", -1.0, None)
    if first.label == "supported":
        return Verdict(draft.text, first, False)
    others = [p for p in passages if p not in cited]
    if others:
        near = checker.judge(draft.text, others)
        if near.passage is not None:  # the best sentence's passage, judged on its own
            alone = checker.judge(draft.text, [near.passage])
            if alone.label == "supported":
                return Verdict(draft.text, alone, True)
    return Verdict(draft.text, first, False)


def cite_span(j: Judgement, n: int) -> Citation:
    assert j.passage is not None
    a = j.passage.article
    return Citation(
        a.doc_id, a.title, a.source, a.published, a.url, j.passage.chunk.chunk_id,
        j.start, j.end, a.text[j.start : j.end], n,
    )  # fmt: skip


def note_of(v: Verdict) -> str:
    j = v.judgement
    if v.recited:
        return "re-cited: the passage the model named does not back this sentence"
    if j.passage is None:
        return "no citation and no retrieved passage backs this sentence"
    if j.missing:
        return "not in the cited passage: " + ", ".join(j.missing)
    return "" if j.label == "supported" else f"weak support (score {j.score:.2f})"


def verify_drafts(
    drafts: Sequence[Draft], passages: Sequence[Passage], checker: Checker, mode: str = "flag"
) -> tuple[tuple[AnswerSentence, ...], tuple[Citation, ...]]:
    """Sentences cited to the exact article sentence that backs each; numbered by first citation.

    An unsupported sentence keeps its (weak) citation and is flagged, or with mode "drop" is
    left out. A sentence that nothing backs and that cites nothing stays uncited and flagged.
    """
    numbers: dict[tuple[str, int, int], Citation] = {}
    sentences = []
    for d in drafts:
        v = check_draft(d, passages, checker)
        j = v.judgement
        if mode == "drop" and j.label == "unsupported":
            continue
        cites: tuple[int, ...] = ()
        if j.passage is not None and (j.label != "unsupported" or d.cites):
            key = (j.passage.article.doc_id, j.start, j.end)
            if key not in numbers:
                numbers[key] = cite_span(j, len(numbers) + 1)
            cites = (numbers[key].n or 0,)
        sentences.append(AnswerSentence(v.text, cites, j.label, note_of(v)))
    return tuple(sentences), tuple(numbers.values())
