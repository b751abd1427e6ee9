"""Question + passages -> an answer made of 1-3 quoted article sentences; no LLM, no guessing.

Sentences are scored by cosine similarity to the question plus the share of the question's
content terms they contain (and, for a how-many or when question, whether they hold a number
or a date). When the best of them stays below RAG_ABSTAIN_THRESHOLD the backend abstains and
returns the closest passages as related, not as citations. Otherwise the answer model
(rag/answer_model.py) reads the best eight with the question and the most probable answers
are quoted. With RAG_ABSTAIN_WITH=model its probability decides whether to answer too; with
RAG_ANSWER_MODEL=none the cheap score chooses alone. A sentence that cannot answer the question
at all (no number for a how-many question, a forum it does not name: rag/answer/fitting.py) is
never quoted, and an abstention says so when that was why. A fact the articles report differently
leads with its newest value's sentence (rag/conflicts.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..answer_model import AnswerModel, load_answer_model
from ..conflicts import newest_first
from ..embed import Embedder
from ..settings import Settings
from ..text import terms
from ..types import Answer, AnswerSentence, Citation, Passage
from .asked import type_match
from .citing import cite, numbered
from .fitting import Needs
from .keys import key_words
from .parts import question_parts

NEAR_DUPLICATE = 0.9  # cosine above which two sentences say the same thing
REDUNDANT = 0.7  # share of a sentence's terms already in the answer that makes it add nothing
HEADLINE_PENALTY = 0.05  # a headline sums up; the body sentence it restates carries detail
# Sentence vectors are stored at ingest; without them (passages not from the index) embedding a
# sentence costs about 20 ms on a 2-core CPU. Either way only this many candidates are scored:
# those sharing the most terms with the question, then from the best passages.
MAX_EMBEDDED = 24
# The answer model reads only the best of those by the cheap score (~7 ms a pair on 2 cores).
# Eight, not twelve: the same answers on the report sets, 30 ms less at the median
# (docs/answer-model.md, "Eight candidates").
MODEL_CANDIDATES = 8
TYPE_BONUS = 0.08  # added when a sentence holds the kind of thing asked for (number, date),
# taken off when it does not


def shortlist(overlaps: list[float], ranks: list[int], limit: int) -> list[int]:
    """Indices of the sentences worth embedding: most question terms first, then passage rank.

    >>> shortlist([0.0, 0.5, 0.5], [1, 3, 2], 2)
    [1, 2]
    """
    if len(overlaps) <= limit:
        return list(range(len(overlaps)))
    order = sorted(range(len(overlaps)), key=lambda i: (-overlaps[i], ranks[i], i))
    return sorted(order[:limit])


def _aligned(p: Passage) -> bool:
    """The passage carries one stored vector per sentence of its chunk."""
    v = p.vectors
    return v is not None and len(v) == len(p.chunk.sentences)


def is_headline(sentence: str, title: str) -> bool:
    """A first line that is the title and does not end like a sentence (a lede does)."""
    line = sentence.lstrip("# ")
    return line.startswith(title.rstrip("…")) and not line.rstrip("”’\"'").endswith((".", "!", "?"))


@dataclass(frozen=True)
class Scored:
    passage: Passage
    start: int
    end: int
    score: float
    index: int  # row in the embedding matrix
    cheap: float = 0.0  # the heuristic's score (cosine, term share, answer type)

    @property
    def text(self) -> str:
        return self.passage.article.text[self.start : self.end]


def abstention_text(reason: str | None = None) -> str:
    """ "The articles don't answer this question", with why when a rule knows it."""
    why = f": {reason}" if reason else ""
    return (
        f"The articles don't answer this question{why}. The closest passages are listed as "
        "related; none of them is cited as an answer."
    )


def sentence_spans(
    passages: Sequence[Passage],
) -> tuple[list[tuple[Passage, int, int]], list[np.ndarray | None]]:
    """Each sentence of the passages once, with its vector from the index when it has one."""
    seen: set[tuple[str, int]] = set()
    spans: list[tuple[Passage, int, int]] = []
    stored: list[np.ndarray | None] = []
    for p in passages:
        rows = p.vectors if _aligned(p) else None
        for j, (s, e) in enumerate(p.chunk.sentences):
            if (p.article.doc_id, s) not in seen:
                seen.add((p.article.doc_id, s))
                spans.append((p, s, e))
                stored.append(None if rows is None else rows[j])
    return spans, stored


class ExtractiveBackend:
    name = "extractive"

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.model: AnswerModel | None = (
            None if settings.answer_model == "none" else load_answer_model(settings.answer_model)
        )
        # who decides whether to answer: the heuristic's score against RAG_ABSTAIN_THRESHOLD
        # (the model then only chooses the sentences), the model's probability, or either
        self.gate = settings.abstain_with if self.model else "heuristic"
        # regular-expression answer types go with the heuristic's decision: with the model
        # deciding, the shipped model passes none of the six cases of tests/test_extractive.py
        # with or without them (docs/answer-model.md)
        self.type_rules = self.gate != "model"

    @property
    def model_threshold(self) -> float:
        """The probability a sentence needs for the model to answer with it."""
        t = self.settings.answer_threshold
        return self.model.threshold if t is None and self.model else t or 0.0

    def lets(self, cheap: np.ndarray | float, prob: np.ndarray | float) -> np.ndarray:
        """Does a sentence with this cheap score and this probability let the backend answer?"""
        by_cheap = np.asarray(cheap) >= self.settings.abstain_threshold
        if self.gate == "heuristic":
            return by_cheap
        by_model = np.asarray(prob) >= self.model_threshold
        return by_model if self.gate == "model" else by_cheap | by_model

    def score(
        self, question: str, passages: list[Passage], vector: np.ndarray
    ) -> tuple[list[Scored], np.ndarray]:
        """Every sentence of the passages, scored, best first (each sentence once)."""
        spans, stored = sentence_spans(passages)
        if not spans:
            return [], np.zeros((0, len(vector)), dtype=np.float32)
        q_terms = set(terms(question))
        texts = [p.article.text[s:e] for p, s, e in spans]
        overlaps = [len(q_terms & set(terms(t))) / len(q_terms) if q_terms else 0.0 for t in texts]
        keep = shortlist(overlaps, [p.rank for p, _, _ in spans], MAX_EMBEDDED)
        spans, texts = [spans[i] for i in keep], [texts[i] for i in keep]
        overlaps, kept = [overlaps[i] for i in keep], [stored[i] for i in keep]
        if all(v is not None for v in kept):
            vectors = np.stack(kept)  # type: ignore[arg-type]  # computed once at ingest
        else:
            vectors = self.embedder.encode_cached(texts)
        cosine = vectors @ vector
        w = self.settings.lexical_weight
        scored = []
        for i, ((p, s, e), text) in enumerate(zip(spans, texts, strict=True)):
            overlap = overlaps[i]
            score = (1 - w) * float(cosine[i]) + w * overlap
            match = type_match(question, text) if self.type_rules else None
            if match is not None:
                score += TYPE_BONUS if match else -TYPE_BONUS
            if s == 0 and is_headline(text, p.article.title):
                score -= HEADLINE_PENALTY
            scored.append(Scored(p, s, e, score, i, cheap=score))
        scored.sort(key=lambda x: -x.score)
        if self.model is not None:
            # subtle: a sentence the model did not read scores -1, below any threshold and
            # any answer margin, but stays in the list so that an abstention can still show it
            # as related
            head = scored[:MODEL_CANDIDATES]
            probs = self.model.judge(
                question,
                [
                    self.model.reads(
                        c.passage.article.text, c.start, c.end, c.passage.article.title
                    )
                    for c in head
                ],
                [float(cosine[c.index]) for c in head],
                [overlaps[c.index] for c in head],
            )
            judged = [replace(c, score=float(p)) for c, p in zip(head, probs, strict=True)]
            rest = [replace(c, score=-1.0) for c in scored[MODEL_CANDIDATES:]]
            scored = sorted(judged, key=lambda x: -x.score) + rest
        return scored, vectors

    def fitting(self, question: str, scored: list[Scored]) -> list[Scored]:
        """The candidates that can answer the question at all (rag/answer/fitting.py); every
        one when the answer-type rules are off."""
        if not self.type_rules:
            return scored
        needs = Needs.of(question)
        return [c for c in scored if needs.why_not(c.passage, c.start, c.end) is None]

    def refusal(self, question: str, scored: list[Scored]) -> str | None:
        """Why the backend abstains, when the closest sentence that reached the threshold was
        refused by an answer-type rule (None when nothing reached it)."""
        best = next((c for c in scored if self.passes(c)), None)
        if best is None or not self.type_rules:
            return None
        return Needs.of(question).why_not(best.passage, best.start, best.end)

    def passes(self, cand: Scored) -> bool:
        """Does the sentence reach the threshold of whoever decides whether to answer?"""
        return bool(self.lets(cand.cheap, cand.score))

    def select(self, scored: list[Scored], vectors: np.ndarray) -> list[Scored]:
        """The best sentence and up to answer_sentences-1 more close to it, no near-duplicates;
        none when no sentence reaches the threshold."""
        if not any(self.passes(c) for c in scored):
            return []
        margin = self.settings.answer_margin
        floor = scored[0].score - margin
        # with the heuristic deciding, a further sentence must be close to the best by its
        # score as well as by the model's
        near = max(c.cheap for c in scored) - margin if self.gate != "model" else -1.0
        chosen: list[Scored] = []
        said: set[str] = set()
        for cand in scored:
            if cand.score < floor or len(chosen) >= self.settings.answer_sentences:
                break
            if chosen and not (self.passes(cand) and cand.cheap >= near):
                continue
            vec = vectors[cand.index]
            cand_terms = set(terms(cand.text))
            repeats = len(cand_terms & said) / len(cand_terms) if cand_terms else 1.0
            if repeats < REDUNDANT and all(
                float(vec @ vectors[c.index]) < NEAR_DUPLICATE for c in chosen
            ):
                chosen.append(cand)
                said |= cand_terms
        return chosen

    def answer(self, question: str, passages: list[Passage], vector: np.ndarray) -> Answer:
        every, vectors = self.score(question, passages, vector)
        scored = self.fitting(question, every)
        chosen = self.select(scored, vectors)
        parts = question_parts(question) if self.model is not None else []
        if len(parts) > 1:  # each part asks for its own kind of thing
            chosen = self.each_part(parts, every, chosen, vectors)
        if not chosen:
            why = self.refusal(question, every)
            related = self.related(every)  # refused sentences are still the closest
            return Answer(question, abstention_text(why), (), (), related, True, reason=why)
        picked, conflicts = newest_first([(c.passage, c.start, c.end) for c in chosen], passages)
        citations = numbered(cite(p, s, e, None) for p, s, e in picked)
        by_chunk = {p.chunk.chunk_id: p for p in passages}
        sentences = tuple(
            AnswerSentence(f"{c.quote} [{c.n}]", (c.n,), key=key_words(
                question, by_chunk.get(c.chunk_id), c.char_start, c.char_end))
            for c in citations if c.n
        )  # fmt: skip
        text = " ".join(s.text for s in sentences)
        return Answer(question, text, sentences, citations, conflicts=conflicts)

    def each_part(
        self, parts: list[str], scored: list[Scored], chosen: list[Scored], vectors: np.ndarray
    ) -> list[Scored]:
        """A two-part question: the model's best sentence for each part, of those the gate
        lets through, in the order of the parts, then what the whole question chose."""
        assert self.model is not None
        scored = scored[: 2 * MODEL_CANDIDATES]
        texts = [c.text for c in scored]
        reads = [self.model.reads(c.passage.article.text, c.start, c.end, c.passage.article.title)
                 for c in scored]  # fmt: skip
        rows = vectors[[c.index for c in scored]] if scored else vectors[:0]
        out: list[Scored] = []
        for i, (part, part_vector) in enumerate(
            zip(parts, self.embedder.encode_cached(parts), strict=True)
        ):
            q = set(terms(part))
            share = [len(q & set(terms(t))) / len(q) if q else 0.0 for t in texts]
            # subtle: a bare later part ("how often will they run?") has lost its subject; the
            # model reads it first, then the rest of the question as context
            asked = " ".join([part[0].upper() + part[1:], *parts[:i], *parts[i + 1 :]])
            cosine = rows @ part_vector
            probs = self.model.judge(asked, reads, cosine, share)
            w = self.settings.lexical_weight
            cheap = (1 - w) * cosine + w * np.asarray(share)  # on topic for this part
            # each part its own sentence: the most probable of those the gate lets through
            # that no earlier part took
            fits = self.fitting(part, scored)
            open_ = self.lets(cheap, probs) & np.array([c in fits and c not in out for c in scored])
            if open_.any():
                out.append(scored[int(np.argmax(np.where(open_, probs, -np.inf)))])
        spare = [c for c in chosen if c not in out]
        return (out + spare)[: max(self.settings.answer_sentences, len(out))]

    def stream(
        self, question: str, passages: list[Passage], vector: np.ndarray
    ) -> Iterator[str | Answer]:
        """The answer sentence by sentence, then the Answer itself."""
        answer = self.answer(question, passages, vector)
        for i, s in enumerate(answer.sentences):
            yield ("" if i == 0 else " ") + s.text
        if not answer.sentences:
            yield answer.text
        yield answer

    def abstention(
        self, question: str, passages: Sequence[Passage], vector: np.ndarray, backend: str
    ) -> Answer:
        """'The articles don't answer this', with the closest passages as related (and what
        they lack, when an answer-type rule refuses the closest)."""
        scored, _ = self.score(question, list(passages), vector)
        why = self.refusal(question, scored)
        related = self.related(scored)
        return Answer(
            question, abstention_text(why), (), (), related, True, backend=backend, reason=why
        )

    def related(self, scored: list[Scored], limit: int = 3) -> tuple[Citation, ...]:
        """The best sentence of each of the closest passages, for an abstention."""
        out: list[Citation] = []
        used: set[str] = set()
        for cand in scored:
            if cand.passage.chunk.chunk_id not in used and len(out) < limit:
                used.add(cand.passage.chunk.chunk_id)
                out.append(cite(cand.passage, cand.start, cand.end, None))
        return tuple(out)
