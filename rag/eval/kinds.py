"""News sentences, changed in known ways -> how often a support checker shows each change as
supported.

The claims are the support model's kinds of training pair (rag/learn/support_pairs.py), made
from search-result articles of RealTime QA 2022 and 2024 that the shipped support model never
read (the 120 after its training sample): sentences copied, reworded or shortened (backed: a
checker should show them), and sentences with a number, date, name or negation changed, their
roles swapped, a name moved, a cause invented, or a claim from another article (not backed).
Each is judged against the sentences it was made from, as `rag check --pairs` judges a claim
against a document. A quarter of the claims are lower-cased (as XSumFaith's are); they are
counted apart.

    python -m rag.eval.kinds --data ../shared/datasets/realtimeqa [--verifier heuristic] [--json]

Unlike eval/generated_labels.jsonl (sentences a real model wrote, labelled by hand), this
shows each kind of error hundreds of times, so a check aimed at one kind is measured on
articles nobody here read, and what it costs the backed kinds shows beside it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from ..errors import RagError
from .labels import wilson


def judge_kinds(
    data: Path, verifier: str, trained_on: int | None = None, min_chars: int | None = None
) -> dict[str, Any]:
    """{kind: {"backed", "cased": [shown, pairs], "lower": [shown, pairs]}}, and ms a claim,
    on the articles after the first `trained_on` (the support model's training sample)."""
    from ..check import check_claim
    from ..embed import Embedder
    from ..learn.support import NEWS_ARTICLES, RECIPE
    from ..learn.support_eval import HELD_OUT_NEWS
    from ..learn.support_pairs import MIN_ARTICLE_CHARS, news_articles, news_pairs
    from ..settings import Settings
    from ..types import Article
    from ..verify import make_checker

    settings = Settings(verifier=verifier)
    embedder = Embedder.from_settings(settings)
    checker = make_checker(settings, embedder)
    skip = NEWS_ARTICLES if trained_on is None else trained_on
    least = MIN_ARTICLE_CHARS if min_chars is None else min_chars
    found = news_articles(data, ("2022", "2024"), skip + HELD_OUT_NEWS, RECIPE.seed, least)
    pairs = news_pairs(found[skip:], embedder, RECIPE.seed + 1)
    kinds: dict[str, Any] = {}
    t0 = time.perf_counter()
    for p in pairs:
        verdict = check_claim(p.claim, [Article("pair", "", p.evidence)], checker, embedder)
        row = kinds.setdefault(p.kind, {"backed": bool(p.label), "cased": [0, 0], "lower": [0, 0]})
        count = row["lower" if p.claim == p.claim.lower() else "cased"]
        count[0] += verdict.label == "supported"
        count[1] += 1
    ms = (time.perf_counter() - t0) * 1000 / max(1, len(pairs))
    return {"verifier": verifier, "articles": len(found) - skip, "pairs": len(pairs),
            "ms": round(ms, 1), "kinds": kinds}  # fmt: skip


def describe(result: dict[str, Any]) -> str:
    """A Markdown table: per kind, the share shown as supported with its Wilson interval."""

    def cell(shown: int, n: int) -> str:
        ci = wilson(shown, n)
        return f"{shown}/{n} = {shown / n:.3f} [{max(0.0, ci[0]):.2f}, {ci[1]:.2f}]" if ci else "—"

    lines = [
        f"checker: {result['verifier']}; {result['pairs']} claims from {result['articles']} "
        f"articles; {result['ms']} ms a claim",
        "",
        "| kind | backed | shown as supported (cased) | (lower-cased) |",
        "|---|---|---|---|",
    ]
    order = sorted(result["kinds"].items(), key=lambda kv: (not kv[1]["backed"], kv[0]))
    for kind, row in order:
        lines.append(f"| {kind} | {'yes' if row['backed'] else 'no'} | {cell(*row['cased'])} "
                     f"| {cell(*row['lower'])} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rag.eval.kinds", description=__doc__)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/realtimeqa"))
    ap.add_argument("--verifier", default="heuristic", help="heuristic or learned[:PATH]")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not (args.data / "2022").is_dir():
        raise SystemExit(f"no {args.data}/2022 — give --data, the RealTime QA folder")
    try:
        result = judge_kinds(args.data, args.verifier)
    except RagError as err:
        raise SystemExit(str(err)) from err
    print(json.dumps(result, indent=1) if args.json else describe(result))


if __name__ == "__main__":
    main()
