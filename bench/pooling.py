"""Which sentence of a chunk answers? Sentence vectors made each way, ranked by the question.

    python -m bench.pooling [--datasets DIR] [--years 2022,2024] [--questions 150]

For every RealTime QA question, the chunks of its evidence articles that hold a sentence with
an accepted answer (and other sentences too) are cut as the index cuts them; their sentences
are ranked by cosine to the question with vectors made "separate" (each sentence encoded on
its own, which "pooled" stores too) and "late" (pooled out of the chunk's pass). Prints how
often the top sentence holds the answer, and the mean reciprocal rank of the first that does.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from rag.embed import Embedder
from rag.eval.dataset import gold_spans, load_set, read_corpus
from rag.eval.realtimeqa import build
from rag.indexer import chunk_article
from rag.late_chunking import embed_chunks
from rag.settings import Settings

from .run import DATASETS

WAYS = ("separate", "late")


def ranks(folder: Path, questions: int, embedder: Embedder) -> dict[str, list[int]]:
    """way -> the rank of the first answering sentence, one per chunk that can be ranked."""
    out: dict[str, list[int]] = {w: [] for w in WAYS}
    with tempfile.TemporaryDirectory() as tmp:
        eval_set, corpus, _ = build(folder, Path(tmp), questions)
        articles = read_corpus(corpus)
        texts = {d: a.text for d, a in articles.items()}
        for item in load_set(eval_set):
            spans, _ = gold_spans(item, texts)
            gold = [s for g in spans for s in g]
            answers = [a.lower() for a in item.answers if a.strip()]
            if not gold or not answers:
                continue
            question = embedder.encode([item.question])[0]
            for doc in sorted({d for d, _, _ in gold}):
                article = articles[doc]
                for chunk in chunk_article(article, embedder):
                    hit = [
                        any(d == doc and s < ge and gs < e for d, gs, ge in gold)
                        and any(a in article.text[s:e].lower() for a in answers)
                        for s, e in chunk.sentences
                    ]
                    if not any(hit) or all(hit):
                        continue
                    for way in WAYS:
                        vectors = embed_chunks([(article, chunk)], embedder, way)[1][0]
                        order = np.argsort(-(vectors @ question), kind="stable")
                        out[way].append(next(r for r, i in enumerate(order) if hit[i]))
    return out


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.pooling", description=__doc__)
    p.add_argument("--datasets", type=Path, default=DATASETS)
    p.add_argument("--years", default="2022,2024", help="RealTime QA years (tuning data)")
    p.add_argument("--questions", type=int, default=150, help="per year")
    opts = p.parse_args()
    embedder = Embedder.from_settings(Settings())
    print(f"encoder {embedder.encoder}")
    print("| year | chunks | way | top sentence answers | MRR |\n|---|---|---|---|---|")
    for year in opts.years.split(","):
        found = ranks(opts.datasets / "realtimeqa" / year, opts.questions, embedder)
        for way, r in found.items():
            a = np.array(r)
            top, mrr = np.mean(a == 0), np.mean(1 / (a + 1))
            print(f"| {year} | {len(a)} | {way} | {top:.3f} | {mrr:.3f} |")


if __name__ == "__main__":
    main()
