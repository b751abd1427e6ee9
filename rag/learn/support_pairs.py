"""XSumFaith + RealTime QA news -> (claim, evidence, backed-or-not) pairs for the support model.

- XSumFaith (`dev.jsonl`, human labels of real summarisers' sentences against BBC articles):
  split by article with a seeded shuffle into a train half and a report half (`xsum_halves`);
  the train half is split again by article (`xsum_folds`) into the articles the model learns
  from and those its weights and thresholds are fitted on. The evidence is what the runtime
  checker reads: the article cut into the index's chunks, the chunk whose evidence shares
  most terms with the claim, and its closest sentences (rag.verify.learned.evidence).
- RealTime QA 2022 + 2024 search-result articles (never 2023): real news sentences judged
  against their own chunk, reworded (backed), and perturbed as `rag calibrate` perturbs them
  (a number, date or name swapped, negated, embellished, another article's sentence; not
  backed), plus two extrinsic kinds, the commonest real error: the sentence against its chunk
  without it ("dropped"), and the sentence with a fact grafted from another article.

Everything is seeded: the same files and seed give the same pairs, in the same order.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..eval.calibrate import build_pairs, swap_name, swap_number
from ..text import MONTHS, strip_lead_in, terms
from ..types import Article, Passage
from ..verify.learned import evidence
from .relations import relation_claims

if TYPE_CHECKING:
    from ..embed import Embedder

# What the model sees of each kind of news pair, at most (a seeded sample beyond).
NEWS_KINDS = {
    "verbatim": 300, "reworded": 500, "number": 240, "name": 300, "date": 160, "negation": 240,
    "added detail": 120, "other article": 300, "dropped": 600, "grafted": 500,
    "headline": 600, "headline swapped": 200, "headline grafted": 300, "other headline": 300,
    "roles swapped": 500, "name moved": 500, "invented link": 400, "trimmed": 500,
}  # fmt: skip
# XSumFaith's claims are lower-cased: this share of news claims is too, so that the case of a
# claim tells the model nothing about its support
LOWER_CASED = 0.25
GRAFTS = (
    ", {name} said", ", according to {name}", " in {month} {year}", ", at a cost of ${n} million",
    " after {n} days of talks", ", with {n} people affected", ", alongside {name}",
)  # fmt: skip
_FULL_NAME = re.compile(r"\b[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})+")
MIN_ARTICLE_CHARS = 800


@dataclass(frozen=True)
class SupportPair:
    group: str  # the article: splits and batches never cut one
    claim: str
    evidence: str
    label: int  # 1: the evidence backs the claim
    kind: str

    @property
    def first(self) -> str:
        return self.claim

    @property
    def second(self) -> str:
        return self.evidence


def read_xsum(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def split_articles(rows: list[dict[str, Any]], seed: int, share: float) -> tuple[list, list]:  # type: ignore[type-arg]
    """Rows of the first `share` of the articles (sorted ids, seeded shuffle), and the rest."""
    ids = sorted({r["id"].split("|")[0] for r in rows})
    random.Random(seed).shuffle(ids)
    first = set(ids[: int(len(ids) * share)])
    return [r for r in rows if r["id"].split("|")[0] in first], [
        r for r in rows if r["id"].split("|")[0] not in first
    ]


def xsum_halves(rows: list[dict[str, Any]]) -> tuple[list, list]:  # type: ignore[type-arg]
    """(train half, report half): half the articles each, `random.Random(0)` shuffle.

    subtle: not by sha256 parity of the id — the file itself is one parity class of that split.
    """
    return split_articles(rows, 0, 0.5)


def xsum_folds(train: list[dict[str, Any]]) -> tuple[list, list]:  # type: ignore[type-arg]
    """The train half -> (articles the model learns from, articles the weights are fitted on)."""
    return split_articles(train, 1, 0.6)


def doc_passages(doc_id: str, doc: str, embedder: Embedder, title: str = "") -> list[Passage]:
    """A document cut into the index's chunks, as `rag check` cuts it."""
    from ..check import article_passages

    return article_passages(Article(doc_id, title, doc), embedder)


def closest_passage(claim: str, passages: Sequence[Passage]) -> Passage:
    """The passage whose evidence shares most terms with the claim (the first on ties)."""
    want = set(terms(claim))
    return max(passages, key=lambda p: len(want & set(terms(evidence(claim, p)[0]))))


def xsum_pairs(rows: list[dict[str, Any]], embedder: Embedder, repeat_pos: int = 1) -> list:  # type: ignore[type-arg]
    """One pair per row against its closest chunk; backed rows repeated `repeat_pos` times."""
    out: list[SupportPair] = []
    cut: dict[str, list[Passage]] = {}
    for r in rows:
        art = r["id"].split("|")[0]
        if art not in cut:
            cut[art] = doc_passages(art, r["doc"], embedder)
        text, _ = evidence(r["claim"], closest_passage(r["claim"], cut[art]))
        pair = SupportPair(art, r["claim"], text, int(r["label"]), "xsum")
        out += [pair] * (repeat_pos if pair.label else 1)
    return out


def news_articles(
    data: Path, years: Sequence[str], n: int, seed: int, min_chars: int = MIN_ARTICLE_CHARS
) -> list[Article]:
    """`n` search-result articles of the given RealTime QA years (distinct URLs, `min_chars`
    characters or more), a seeded sample."""
    if "2023" in years:
        raise SystemExit("2023 is kept for reporting — build pairs from 2022 and 2024")
    found: dict[str, Article] = {}
    for gcs in sorted(p for y in years for p in (data / y).glob("*_gcs.jsonl")):
        for line in gcs.read_text(encoding="utf-8").splitlines():
            for r in json.loads(line).get("search_result") or []:
                text, url = r.get("text") or "", r.get("url") or ""
                if url and url not in found and len(text) >= min_chars:
                    found[url] = Article(f"news/{len(found)}", r.get("title") or "", text)
    urls = sorted(found)
    random.Random(seed).shuffle(urls)
    return [found[u] for u in urls[:n]]


def graft(sentence: str, names: Sequence[str], rng: random.Random) -> str:
    """The sentence with a detail carrying a fact (name, date, number) from elsewhere.

    >>> graft("The mayor opened the bridge.", ["Ada Lovelace"], random.Random(0))
    'The mayor opened the bridge, alongside Ada Lovelace.'
    """
    body = sentence.rstrip(".”\"' ")
    template = rng.choice(GRAFTS)
    detail = template.format(
        name=rng.choice(names) if names else "Ada Lovelace",
        month=rng.choice(MONTHS).capitalize(),
        year=rng.choice(range(2009, 2025)),
        n=rng.choice((3, 4, 12, 17, 40, 250)),
    )
    return body + detail + "."


def extrinsic_pairs(p: Passage, names: Sequence[str], rng: random.Random) -> list[SupportPair]:
    """Each sentence against its chunk without it ("dropped"), and with a grafted fact."""
    out = []
    doc = p.article.doc_id
    for span in p.chunk.sentences:
        text = p.article.text[span[0] : span[1]]
        if len(text.split()) < 6 or "\n" in text.strip():
            continue
        rest = replace(p.chunk, sentences=tuple(x for x in p.chunk.sentences if x != span))
        if rest.sentences:
            out.append(SupportPair(doc, text, evidence(text, replace(p, chunk=rest))[0], 0,
                                   "dropped"))  # fmt: skip
        own = {n.casefold() for n in _FULL_NAME.findall(p.chunk.text)}
        foreign = [n for n in names if n.casefold() not in own]
        claim = graft(text, foreign, rng)
        out.append(SupportPair(doc, claim, evidence(claim, p)[0], 0, "grafted"))
    return out


def headline(title: str) -> str | None:
    """The title without its outlet suffix, when it reads as a claim (5+ words, not a
    question, not cut short).

    >>> headline("Netflix renews 'Squid Game' for a second season - CNN")
    "Netflix renews 'Squid Game' for a second season"
    """
    head = re.split(r"\s[-|–—]\s", title)[0].strip()
    claim_like = len(head.split()) >= 5 and "?" not in head and not head.endswith(("...", "…"))
    return head if claim_like else None


def headline_pairs(cut: dict[str, list[Passage]], names: Sequence[str], rng: random.Random) -> list:  # type: ignore[type-arg]
    """Headlines (abstractive, like a summary) against their article's closest chunk (backed),
    changed, with a grafted fact, or another article's headline instead (not backed)."""
    heads = {d: h for d, ps in cut.items() if (h := headline(ps[0].article.title))}
    out = []
    for doc, head in heads.items():
        p = closest_passage(head, cut[doc])
        out.append(SupportPair(doc, head, evidence(head, p)[0], 1, "headline"))
        changed = swap_name(head, names, rng) or swap_number(head, rng)
        other = heads[rng.choice(sorted(heads))]
        for claim, kind in ((changed, "headline swapped"), (graft(head, names, rng),
                            "headline grafted"), (other, "other headline")):  # fmt: skip
            if claim and claim != head:
                q = closest_passage(claim, cut[doc])
                out.append(SupportPair(doc, claim, evidence(claim, q)[0], 0, kind))
    return out


def news_pairs(articles: Sequence[Article], embedder: Embedder, seed: int) -> list[SupportPair]:
    """Backed, perturbed and extrinsic pairs from one seeded chunk per article, and headline
    pairs, capped per kind (NEWS_KINDS) by a seeded sample."""
    rng = random.Random(seed)
    passages, cut = [], {}
    for a in articles:
        cut[a.doc_id] = doc_passages(a.doc_id, a.text, embedder, a.title)
        chunks = [p for p in cut[a.doc_id] if len(p.chunk.sentences) > 2]
        if chunks:
            passages.append(rng.choice(chunks))
    names = sorted({n for p in passages for n in _FULL_NAME.findall(p.chunk.text)})
    pairs = [
        SupportPair(x.passage.article.doc_id, x.claim, evidence(x.claim, x.passage)[0],
                    int(x.supported), x.kind)
        for x in build_pairs(passages, seed)
    ]  # fmt: skip
    for p in passages:
        pairs += extrinsic_pairs(p, names, rng)
        pairs += relation_pairs(p, rng)
    pairs += headline_pairs({d: ps for d, ps in cut.items() if ps}, names, rng)
    out = []
    for kind, cap in NEWS_KINDS.items():
        of_kind = [x for x in pairs if x.kind == kind and x.evidence]
        out += rng.sample(of_kind, min(cap, len(of_kind)))
    # subtle: the model reads a claim as the checker does, without a lead-in ("According to
    # the article, …" is stripped at run time): left on, it alone told backed from not
    out = [replace(x, claim=strip_lead_in(x.claim)) for x in out]
    return [replace(x, claim=x.claim.lower()) if rng.random() < LOWER_CASED else x for x in out]


def relation_pairs(p: Passage, rng: random.Random) -> list[SupportPair]:
    """Each sentence of the chunk with its roles swapped, a name moved, a link invented
    (not backed) or an aside trimmed (backed): rag/learn/relations.py."""
    from ..verify.roles import parser

    texts = [p.article.text[s:e] for s, e in p.chunk.sentences]
    texts = [t for t in texts if len(t.split()) >= 6 and "\n" not in t.strip()]
    parses = list(parser().pipe(texts))
    doc = p.article.doc_id
    return [
        SupportPair(doc, claim, evidence(claim, p)[0], backed, kind)
        for claim, kind, backed in relation_claims(texts, p.chunk.text, parses, rng)
    ]
