"""Generated sentences -> sentences cited to the exact article sentence that backs each.

Supported sentences are cited to that sentence; unsupported ones are re-attributed to another
retrieved passage when one supports them, else flagged (RAG_VERIFY=flag) or dropped (drop).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..attribution import attributed
from ..text import is_question
from ..types import AnswerSentence, Citation, Passage
from .judgement import Checker, Judgement

if TYPE_CHECKING:
    from ..answer.markers import Draft


@dataclass(frozen=True)
class Verdict:
    """A generated sentence after checking: its text, label and the span that backs it."""

    text: str
    judgement: Judgement
    recited: bool  # the model's own citation did not hold; another passage did


def check_draft(draft: Draft, passages: Sequence[Passage], checker: Checker) -> Verdict:
    """Judge a sentence against the passages it cites; if that fails, each other passage on
    its own, and re-cite it to the one that backs it best.

    subtle: the others are judged one by one, not together: judged together, the facts of one
    passage and the closest sentence of another can look like support that neither gives.
    """
    cited = [passages[i - 1] for i in draft.cites]
    claim = draft.claim  # a fragment list item is judged with its lead-in
    first = checker.judge(claim, cited) if cited else Judgement("unsupported", -1.0, None)
    if first.label == "supported":
        return Verdict(draft.text, first, False)
    alone = [checker.judge(claim, [p]) for p in passages if p not in cited]
    backing = [j for j in alone if j.label == "supported"]
    if backing:
        return Verdict(draft.text, max(backing, key=lambda j: j.score), True)
    return Verdict(draft.text, first, False)


def cite_span(j: Judgement, n: int) -> Citation:
    assert j.passage is not None
    a = j.passage.article
    start, end = attributed(a.text, j.start, j.end)  # a quotation's sentence names its speaker
    return Citation(
        a.doc_id, a.title, a.source, a.published, a.url, j.passage.chunk.chunk_id,
        start, end, a.text[start:end], n,
    )  # fmt: skip


def note_of(v: Verdict) -> str:
    j = v.judgement
    if v.recited:
        return "re-cited: the passage the model named does not back this sentence"
    if is_question(v.text):
        return "a question, not a statement: nothing to back"
    if j.passage is None:
        return "no citation and no retrieved passage backs this sentence"
    if j.missing:
        return "not in the cited passage: " + ", ".join(j.missing)
    if j.doer:
        return f"the cited sentence says {j.doer} did this"
    if j.flaws:
        return "; ".join(j.flaws)
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
