"""(claim, passages) -> Judgement by facts, term containment and sentence similarity.

The score combines
(a) a faithfulness check: every number, month, weekday and proper name of the sentence must
    appear (normalised) in the cited passages or their headers;
(b) containment: the share of the sentence's content terms found in the passages, and a
    penalty for each further term the passages never use (an added detail);
(c) similarity: the cosine between the sentence and the passages' closest sentence, with the
    index's encoder (MiniLM by default);
minus penalties for a flipped negation, for echoing an instruction found in an article or
asking a question (which states nothing), for a cause or an order in time ("because",
"after") that the closest sentences never state, for a name standing where the closest
sentence has another, and
for giving the backing sentence's action to someone else (roles.py: "who did it").
The thresholds (judgement.py) were calibrated with `rag calibrate` (docs/evaluation.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..attribution import speaker_clause
from ..claims import asks, replaced_names, unstated_links
from ..text import (
    facts,
    is_question,
    negated,
    normalise,
    source_facts,
    spelled_date,
    strip_lead_in,
    terms,
)
from ..types import Passage
from .judgement import Judgement, label_of
from .roles import swapped_doer, turned_round

if TYPE_CHECKING:
    from ..embed import Embedder

CONTAINMENT_WEIGHT = 0.5
FACT_PENALTY = 0.5  # per missing fact, at most two counted
NEGATION_PENALTY = 0.5
INSTRUCTION_PENALTY = 1.0
ROLE_PENALTY = 0.5  # the backing sentence says another did it (enough to fall below supported)
LINK_PENALTY = 0.5  # a cause or an order in time the closest sentences never state
NOVEL_PENALTY = 0.15  # per content term beyond the first that the passages never use
CANDIDATES = 4  # passage sentences compared by embedding, picked by shared terms
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b[^.]{0,60}\b(instructions?|prompts?|rules|directions)\b"
    r"|\byou are now\b|\bsystem prompt\b"
    r"|\b(reply|respond|answer|say|write)\b[^.]{0,20}\bonly\b"
    r"|\b(reply|respond)\s+(with\s+)?['\"‘“]",
    re.I,
)


def header(p: Passage, claim: str = "") -> str:
    """Headline, outlet and date of a passage's article (the date also spelled out; its day
    only when the claim names that day with its month: a date's "14" backs "14 December",
    not "14 states").

    >>> from rag.types import Article, Chunk
    >>> a = Article("d", "Storm", "Text.", published="2023-01-14")
    >>> p = Passage(Chunk("d#0", "d", 0, 0, 5, "Text.", ()), a, 0.0, 0)
    >>> header(p), header(p, "On 14 January the storm hit.")
    ('Storm january 2023', 'Storm 14 january 2023')
    """
    a = p.article
    extra = [a.title, a.source or "", _date_words(a.published or "", claim)]
    return " ".join(e for e in extra if e)


def _date_words(iso: str, claim: str) -> str:
    spelled = spelled_date(iso)
    if not spelled:
        return ""
    day, month, year = spelled.split()
    named = rf"\b{day}(?:st|nd|rd|th)?\s+(?:of\s+)?{month}\b|\b{month}\s+{day}(?:st|nd|rd|th)?\b"
    return spelled if re.search(named, claim.lower()) else f"{month} {year}"


def passage_source(p: Passage) -> str:
    """The text a citation of this passage vouches for: chunk, headline, outlet, date."""
    return f"{p.chunk.text} {header(p)}"


def negated_like(source: str, claim: str) -> bool:
    """Is the source negated in the clauses the claim draws on (2+ shared terms, or every term
    of a short clause)?

    >>> negated_like("They met in Paris, which they weren't allowed to say.", "They met in Paris.")
    False
    >>> negated_like("He said: “It’s vile, and it’s not tolerated.”", "It's vile, not tolerated.")
    True
    """
    want = set(terms(claim))
    clauses = re.split(r"[,;:—–]\s+", source)
    shared = [(len(want & set(terms(c))), len(set(terms(c)))) for c in clauses]
    used = [c for c, (n, k) in zip(clauses, shared, strict=True) if n >= 2 or n == k > 0]
    used = used or clauses
    return negated(" ".join(used))


def stored_vector(p: Passage, start: int, end: int) -> Any:
    """The sentence's vector stored at ingest, or None when the passage carries none."""
    if p.vectors is None or len(p.vectors) != len(p.chunk.sentences):
        return None
    try:
        return p.vectors[p.chunk.sentences.index((start, end))]
    except ValueError:
        return None


def candidate_sentences(
    claim: str, passages: Sequence[Passage], limit: int = CANDIDATES
) -> list[tuple[Passage, int, int]]:
    """The passage sentences sharing most terms with the claim (earlier passages win ties); a
    question the article asks backs nothing and is never one."""
    want = set(terms(claim))
    spans = [(p, s, e) for p in passages for s, e in p.chunk.sentences
             if not asks(p.article.text[s:e])]  # fmt: skip
    shared = [len(want & set(terms(p.article.text[s:e]))) for p, s, e in spans]
    order = sorted(range(len(spans)), key=lambda i: (-shared[i], i))
    return [spans[i] for i in order[:limit]]


def swapped_doer_of(claim: str, evidence: str, score: float) -> str | None:
    """The backing sentence's own doer when the claim gives its action to another; read only
    for a claim that would pass and is not the sentence word for word (a parse costs ~5 ms)."""
    if label_of(score) != "supported" or normalise(claim) in normalise(evidence):
        return None
    return swapped_doer(claim, evidence)


def turned_round_of(claim: str, evidence: str, score: float) -> str | None:
    """The verb around which the claim turns its backing sentence round (doer and object
    exchanged, named or not); read, like the doer, only for a claim that would pass."""
    if label_of(score) != "supported" or normalise(claim) in normalise(evidence):
        return None
    return turned_round(claim, evidence)


def flaws_of(claim: str, best: str, closest: Sequence[str]) -> list[tuple[str, float]]:
    """What the claim says that the sentence backing it (`best`) and the closest sentences do
    not, each with its penalty: a negation flipped, a name standing where the closest sentence
    has another, a cause or an order in time none of them states ("A, because B" from a
    passage telling A and B apart)."""
    out = []
    if negated(claim) != negated_like(best, claim):
        out.append(("the cited sentence's negation differs", NEGATION_PENALTY))
    names = replaced_names(claim, closest[0]) or replaced_names(claim, best)
    if names:
        out.append((f"the cited sentence names another where this says {', '.join(names)}",
                    FACT_PENALTY))  # fmt: skip
    links = unstated_links(claim, " ".join([best, *closest]))
    if links:
        out.append((f"the passage never says {', '.join(links)}", LINK_PENALTY))
    return out


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
        claim = strip_lead_in(claim)  # markers and "According to the passage, …" off
        spans = candidate_sentences(claim, passages)
        if not spans:
            return Judgement("unsupported", 0.0, None)
        texts = [p.article.text[s:e] for p, s, e in spans]
        sims = self.similarities(claim, spans)
        ranked = sorted(range(len(spans)), key=lambda i: -sims[i])
        top = ranked[0]
        # the quoted sentence: the candidate holding most of the claim's facts, then the closest
        # (the closest alone may be a neighbour that shares its words but not its facts)
        wanted = facts(claim)
        best = max(ranked, key=lambda i: (len(wanted & source_facts(texts[i])), sims[i]))
        p, s, e = spans[best]
        # facts must be in the two closest sentences (or a header), not anywhere in the passage:
        # a name or number from another sentence of the article does not back this one
        heads = [header(q, claim) for q in passages]
        have = source_facts(" ".join([*(texts[i] for i in ranked[:2]), *heads]))
        missing = tuple(sorted(f for f in wanted if f not in have))
        claim_terms = set(terms(claim))
        source = " ".join(passage_source(q) for q in passages)
        source_terms = set(terms(source))
        contained = len(claim_terms & source_terms) / len(claim_terms) if claim_terms else 0.0
        score = CONTAINMENT_WEIGHT * contained + (1 - CONTAINMENT_WEIGHT) * sims[top]
        score -= NOVEL_PENALTY * max(0, len(claim_terms - source_terms) - 1)
        score -= FACT_PENALTY * min(len(missing), 2)
        best_text = p.article.text[s:e]
        if _INSTRUCTION.search(best_text) or len(claim_terms) < 2 or is_question(claim):
            score -= INSTRUCTION_PENALTY  # an echoed instruction; a bare word; a question
        found = flaws_of(claim, best_text, [texts[i] for i in ranked[:2]])
        score -= sum(penalty for _, penalty in found)
        # a quotation's sentence is read with the clause that says who speaks ("…, and
        # Starmer said: “…”"), so that words put in another's mouth are caught too
        qs, qe = speaker_clause(p.article.text, s, e)
        doer = swapped_doer_of(claim, p.article.text[qs:qe], score)
        score -= ROLE_PENALTY if doer else 0.0
        verb = None if doer else turned_round_of(claim, p.article.text[qs:qe], score)
        if verb:
            found.append((f"the cited sentence has it the other way round around “{verb}”",
                          ROLE_PENALTY))  # fmt: skip
            score -= ROLE_PENALTY
        flaws = tuple(flaw for flaw, _ in found)
        return Judgement(label_of(score), round(score, 4), p, s, e, missing, doer, flaws)
