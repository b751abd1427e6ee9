"""RealTime QA weeks -> (question, sentence, answers-it) pairs for the answer model.

- positives: sentences of a question's evidence passage that mention the right choice;
- passage negatives: the passage's other sentences (same story, does not say);
- search negatives: sentences of the question's search-result articles that do not mention
  the right choice, the most on-topic first (shared question terms, or, with a `rank`, the
  answerer's own cheap score: the sentences it would hand the model), plus a few at random;
- search positives (distant supervision): search-result sentences that mention the right
  choice and share at least half of the question's content terms, the most on-topic first.

A question without an evidence passage gets search pairs only, when some search sentence is a
distant positive; so does every question when passages are left out (`passages=False`): the
evidence passages are short summaries whose sentences mostly answer, so a model trained on
them also learns their style as a sign of an answer, which the product's articles lack.
A question with no positive at all is skipped. Removing the positives from a group leaves
"on topic, but does not say": `groups` keeps both forms for calibrating abstention on held-out
weeks.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..eval.realtimeqa import passage_text
from ..segment import split_sentences
from ..text import mentions, terms

MIN_WORDS = 4  # shorter "sentences" are bylines, captions and menu items
MAX_CHARS = 600  # longer ones are run-on page furniture
VAGUE_CHOICES = {"all of above", "none of above", "both", "neither"}
RANKED = 40  # negatives a `rank` orders: those sharing most question terms

# (question, sentences) -> a score per sentence, higher is more likely to be read as an answer
Rank = Callable[[str, list[str]], list[float]]


@dataclass(frozen=True)
class Pair:
    qid: str
    question: str
    text: str
    label: int  # 1: the sentence answers the question
    kind: str  # "answer", "passage" or "search"
    title: str = ""  # the headline of the sentence's article ("" for an evidence passage)
    previous: str = ""  # the sentence before it in its text ("" for the first)
    reads: str = ""  # what the model reads for it, when that is more than `text`

    @property
    def first(self) -> str:
        return self.question

    @property
    def second(self) -> str:
        return self.reads or self.text

    def with_context(self, context: str) -> Pair:
        """The pair as a model trained with this recipe `context` reads it."""
        from ..answer_model import reading

        return replace(self, reads=reading(self.text, self.title, self.previous, context))

    @property
    def group(self) -> str:
        return self.qid


def _sentences(text: str) -> list[str]:
    return list(_in_order(text))


def _in_order(text: str) -> dict[str, str]:
    """The usable sentences of a text, each with the sentence before it ("" for the first)."""
    out: dict[str, str] = {}
    before = ""
    for s, e in split_sentences(text):
        sentence = text[s:e]
        if len(sentence.split()) >= MIN_WORDS and len(sentence) <= MAX_CHARS:
            out.setdefault(sentence, before)
        before = sentence
    return out


def headline(title: str) -> str:
    """A search result's title without the "..." that shortens a long one.

    >>> headline("Taiwan's President Tsai Ing-wen billed midterms as all about China ...")
    "Taiwan's President Tsai Ing-wen billed midterms as all about China"
    """
    return title.strip().removesuffix("...").strip()


def _read(path: Path) -> list[dict]:  # type: ignore[type-arg]
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def question_pairs(
    q: dict,  # type: ignore[type-arg]
    results: list[dict],  # type: ignore[type-arg]
    rng: random.Random,
    passage_negs: int = 6,
    hard: int = 6,
    easy: int = 2,
    distant: int = 3,
    passages: bool = True,
    rank: Rank | None = None,
    near: float = 0.5,
) -> list[Pair]:
    """One RealTime QA question's pairs; [] when it has no usable evidence or answer.

    Without `passages` the evidence passage is left out and the question is treated as one
    without it: search-result sentences alone, the kind of text the product reads.
    """
    passage = passage_text(q.get("evidence") or "") if passages else ""
    answer = q["choices"][int(q["answer"][0])]
    if answer.strip().lower().replace("the ", "") in VAGUE_CHOICES:
        return []
    qid, question = q["question_id"], q["question_sentence"]
    before = _in_order(passage)
    sentences = list(before)
    pos = [s for s in sentences if mentions(s, answer)]
    if passage and not pos:
        return []
    neg = [s for s in sentences if not mentions(s, answer)]
    rng.shuffle(neg)
    title: dict[str, str] = {}
    named, pool = _search_sentences(results, answer, before, title)

    def pair(s: str, label: int, kind: str) -> Pair:
        return Pair(qid, question, s, label, kind, title.get(s, ""), before[s])

    out = [pair(s, 1, "answer") for s in pos]
    out += [pair(s, 0, "passage") for s in neg[:passage_negs]]
    q_terms = set(terms(question))
    shared = {s: len(q_terms & set(terms(s))) for s in pool + named}
    close = [s for s in named if shared[s] >= near * len(q_terms) > 0]
    close.sort(key=lambda s: -shared[s])
    out += [pair(s, 1, "search-answer") for s in close[:distant]]
    if not any(p.label for p in out):
        return []
    scored = hardest_first(question, sorted(pool, key=lambda s: -shared[s]), rank)
    picked, rest = scored[:hard], scored[hard:]
    picked += rng.sample(rest, min(easy, len(rest)))
    out += [pair(s, 0, "search") for s in picked]
    return out


def _search_sentences(
    results: list[dict],  # type: ignore[type-arg]
    answer: str,
    before: dict[str, str],
    title: dict[str, str],
) -> tuple[list[str], list[str]]:
    """The search results' sentences not seen yet, (naming the answer, not naming it); each
    one's previous sentence and headline are added to `before` and `title`."""
    named: list[str] = []
    pool: list[str] = []
    for r in results:
        for s, previous in _in_order(r.get("text") or "").items():
            if s not in before:
                before[s], title[s] = previous, headline(r.get("title") or "")
                (named if mentions(s, answer) else pool).append(s)
    return named, pool


def hardest_first(question: str, on_topic: list[str], rank: Rank | None) -> list[str]:
    """Negatives ordered most on-topic first: as given, or the first RANKED of them by
    `rank` (what the answerer would shortlist)."""
    if rank is None:
        return on_topic
    top = on_topic[:RANKED]
    by = dict(zip(top, rank(question, top), strict=True))
    return sorted(top, key=lambda s: -by[s]) + on_topic[RANKED:]


def cheap_rank() -> Rank:
    """The extractive answerer's cheap score of each sentence for a question: MiniLM cosine
    and share of question terms, weighted as the default settings weigh them."""
    from ..embed import Embedder
    from ..settings import Settings
    from ..text import terms

    settings = Settings()
    embedder, w = Embedder.from_settings(settings), settings.lexical_weight

    def rank(question: str, sentences: list[str]) -> list[float]:
        q = set(terms(question))
        vectors = embedder.encode_cached([question, *sentences])
        cosine = vectors[1:] @ vectors[0]
        share = [len(q & set(terms(s))) / len(q) if q else 0.0 for s in sentences]
        return [(1 - w) * float(c) + w * o for c, o in zip(cosine, share, strict=True)]

    return rank


def weeks(dirs: list[Path]) -> list[Path]:
    """The *_qa.jsonl files of the given RealTime QA year folders, in date order."""
    return sorted(p for d in dirs for p in Path(d).glob("*_qa.jsonl"))


def build_pairs(
    qa_files: list[Path],
    seed: int = 0,
    passages: bool = True,
    rank: Rank | None = None,
    near: float = 0.5,
    **sizes: int,
) -> Iterator[Pair]:
    """Pairs of every question in the given weeks (deterministic for a seed); without
    `passages`, from the search-result articles alone; with `rank`, the hard negatives are
    those it scores highest."""
    for qa_file in qa_files:
        gcs = qa_file.with_name(qa_file.name.replace("_qa.jsonl", "_gcs.jsonl"))
        results = {r["question_id"]: r.get("search_result") or [] for r in _read(gcs)}
        for q in _read(qa_file):
            rng = random.Random(f"{seed}:{q['question_id']}")
            found = results.get(q["question_id"], [])
            yield from question_pairs(q, found, rng, passages=passages, rank=rank, near=near,
                                      **sizes)  # fmt: skip


def write_pairs(pairs: list[Pair], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")


def read_pairs(path: Path) -> list[Pair]:
    return [Pair(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
