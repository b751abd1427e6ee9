"""Hand-labelled generated sentences -> how far a support checker's "supported" can be trusted.

eval/generated_labels.jsonl holds sentences a real model wrote, each read against its article
by a person and labelled "supported" or "unsupported". This judges every sentence again with a
support checker against the article its citation quotes (as `rag check` does: chunk by chunk,
the best chunk decides) and reports what a reader cares about: of the sentences shown as
supported, the share a person found backed (precision), and of the backed ones, the share
shown (recall), each with a Wilson 95% interval, over all sentences and over the sentences the
model wrote in its own words (not copied from the article).

    python -m rag.eval.labels eval/generated_labels.jsonl [--verifier learned] [--json]
    python -m rag.eval.labels --draft eval/out/results.json --corpus realtimeqa/2023 > new.jsonl

`--draft` turns a `rag eval` run's results.json into rows to label (label left empty).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import RagError
from ..text import normalise
from ..types import Article

Z95 = 1.959964


def wilson(hits: int, n: int) -> tuple[float, float] | None:
    """Wilson score 95% interval of hits/n (None when n is 0).

    >>> wilson(45, 48)
    (0.8316, 0.9785)
    """
    if n == 0:
        return None
    p = hits / n
    centre = p + Z95**2 / (2 * n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    denom = 1 + Z95**2 / n
    return round((centre - half) / denom, 4), round((centre + half) / denom, 4)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The labelled rows; a row without a sentence, a label or a cited quote is an error."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise RagError(f"cannot read {path}: {err}") from err
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise RagError(f"{path}:{n}: not JSON ({err.msg})") from err
        if row.get("label") not in ("supported", "unsupported") or not row.get("sentence"):
            raise RagError(f'{path}:{n}: needs "sentence" and "label" supported|unsupported')
        rows.append(row)
    return rows


def corpus_articles(corpus: str, datasets: Path, work: Path) -> dict[str, Article]:
    """doc_id -> article of a corpus: "seeds" (the repository's) or "realtimeqa/YEAR" (built
    from the dataset folder as `rag eval --realtimeqa` builds it)."""
    from .dataset import read_corpus

    if corpus == "seeds":
        return read_corpus(Path(__file__).resolve().parents[2] / "seeds")
    if corpus.startswith("realtimeqa/"):
        from .realtimeqa import build

        src = datasets / corpus
        if not src.is_dir():
            raise RagError(f"no {src} — give --datasets, the folder holding realtimeqa/")
        return read_corpus(build(src, work / corpus)[1])
    raise RagError(f"unknown corpus {corpus!r} — seeds or realtimeqa/YEAR")


def articles_of(row: dict[str, Any], articles: dict[str, Article]) -> list[Article]:
    """The articles a row is judged against: its `doc_ids` (those its citations quote, then
    the others retrieved for its question: what the pipeline's verifier could re-cite to), else
    the one holding its first quote, else the corpus's only article (the seeds' one)."""
    ids = [d for d in row.get("doc_ids") or [] if d in articles]
    if ids:
        return [articles[d] for d in ids]
    if not row.get("cited") and len(articles) == 1:
        return list(articles.values())
    quote = normalise((row.get("cited") or [""])[0])
    for article in articles.values():
        if quote and quote in normalise(article.text):
            return [article]
    raise RagError(f"no article found for {row['sentence'][:60]!r}: give its doc_ids")


def rates(shown: list[bool], backed: list[bool]) -> dict[str, Any]:
    """Precision and recall of "shown as supported" against the hand labels."""
    tp = sum(s and b for s, b in zip(shown, backed, strict=True))
    return {
        "sentences": len(shown),
        "backed": sum(backed),
        "shown": sum(shown),
        "precision": round(tp / sum(shown), 4) if any(shown) else None,
        "precision_ci": wilson(tp, sum(shown)),
        "recall": round(tp / sum(backed), 4) if any(backed) else None,
        "recall_ci": wilson(tp, sum(backed)),
    }


def score(rows: list[dict[str, Any]], verifier: str, datasets: Path) -> dict[str, Any]:
    """Judge every row again with `verifier`; precision/recall overall and on own words."""
    from ..check import check_claim
    from ..embed import Embedder
    from ..settings import Settings
    from ..verify import make_checker

    settings = Settings(verifier=verifier)
    embedder = Embedder.from_settings(settings)
    checker = make_checker(settings, embedder)
    shown: list[bool] = []
    with tempfile.TemporaryDirectory() as work:
        cache: dict[str, dict[str, Article]] = {}
        for row in rows:
            corpus = row.get("corpus", "seeds")
            if corpus not in cache:
                cache[corpus] = corpus_articles(corpus, datasets, Path(work))
            found = articles_of(row, cache[corpus])
            claim = f"{row['lead_in']} {row['sentence']}" if row.get("lead_in") else row["sentence"]
            verdict = check_claim(claim, found, checker, embedder)  # a list item with its lead-in
            shown.append(verdict.label == "supported")
    backed = [r["label"] == "supported" for r in rows]
    own = [i for i, r in enumerate(rows) if not r.get("verbatim")]
    at_run = [r.get("checker") == "supported" for r in rows]
    return {
        "verifier": verifier,
        "all": rates(shown, backed),
        "own_words": rates([shown[i] for i in own], [backed[i] for i in own]),
        "as_shown_in_the_runs": rates(at_run, backed),
    }


def draft(results: Path, corpus: str) -> Iterable[dict[str, Any]]:
    """Rows to label from a `rag eval` results.json: each generated sentence, its quotes."""
    data = json.loads(results.read_text(encoding="utf-8"))
    meta = {k: data.get(k) for k in ("backend",)}
    for q in data.get("per_question", []):
        cited = {c["n"]: c for c in q.get("cited", [])}
        for s in q.get("sentences", []):
            quotes = [cited[n] for n in s["citations"] if n in cited]
            text = s["text"]
            docs = [c["doc_id"] for c in quotes] + list(q.get("retrieved", []))
            yield {
                "question": q["question"],
                "sentence": text,
                "cited": [c["quote"] for c in quotes],
                "doc_ids": list(dict.fromkeys(docs)),
                "corpus": corpus,
                "label": "",
                "why": "",
                "checker": s["support"],
                "verbatim": any(normalise(text) in normalise(c["quote"]) for c in quotes),
                **meta,
            }


def describe(result: dict[str, Any]) -> str:
    """The result as lines a person reads."""
    lines = [f"checker: {result['verifier']}"]
    for key, name in (("all", "all sentences"), ("own_words", "the model's own words"),
                      ("as_shown_in_the_runs", "as shown in the runs")):  # fmt: skip
        r = result[key]
        p, ci = r["precision"], r["precision_ci"]
        rc, rci = r["recall"], r["recall_ci"]
        lines.append(
            f"{name}: {r['sentences']} sentences, {r['backed']} backed, {r['shown']} shown "
            f"as supported; precision {p} {list(ci) if ci else ''}, recall {rc} "
            f"{list(rci) if rci else ''}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rag.eval.labels", description=__doc__)
    ap.add_argument("labels", nargs="?", type=Path, default=Path("eval/generated_labels.jsonl"))
    ap.add_argument("--verifier", default="heuristic", help="heuristic or learned")
    ap.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    ap.add_argument("--draft", type=Path, help="results.json of a rag eval run: rows to label")
    ap.add_argument("--corpus", default="seeds", help="the draft's corpus: seeds|realtimeqa/YEAR")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        if args.draft:
            for row in draft(args.draft, args.corpus):
                print(json.dumps(row, ensure_ascii=False))
            return
        result = score(read_rows(args.labels), args.verifier, args.datasets)
    except RagError as err:
        sys.exit(f"error: {err}")
    print(json.dumps(result) if args.json else describe(result))


if __name__ == "__main__":
    main()
