"""RealTime QA search results -> story counts at several thresholds, and sample pairs to check.

    D=/work/shared/datasets/realtimeqa
    python -m bench.stories $D/2022 $D/2024 --thresholds 0.5 0.6 0.65 0.7 0.8 \
        --at 0.65 --pairs 40 --seed 2 --out /tmp/story-pairs.txt

(`--below 0.75` samples only the pairs estimated under 0.75: the hard ones.)

The articles are the eval corpus's (rag/eval/realtimeqa.py: search results deduplicated by URL
and by exact text). Each is grouped as ingest groups it (rag/stories.py), earliest first; a
grouped pair is an article and the copy it joined. The pairs file shows both texts' openings
and where they differ, for reading by eye.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from rag.eval.realtimeqa import build
from rag.index.stories import copy_order
from rag.stories import SHINGLE_WORDS, Grouper, signatures
from rag.text import shingles


def load(folders: list[Path]) -> list[dict[str, Any]]:
    """The search-result articles of these RealTime QA folders, earliest first."""
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, folder in enumerate(folders):
            _, corpus, _ = build(folder, Path(tmp) / str(i))
            for path in sorted(corpus.glob("*/articles.jsonl")):
                out += [json.loads(line) for line in path.read_text().splitlines()]
    out.sort(key=lambda a: copy_order(a.get("published"), len(a["text"]), a.get("url") or ""))
    return out


def group(articles: list[dict[str, Any]], sigs: list[Any], threshold: float) -> dict[str, Any]:
    """Group at one threshold: counts, seconds, and (article, joined copy) index pairs."""
    t0 = time.perf_counter()
    grouper = Grouper(threshold, [])
    pairs: list[tuple[int, int, float]] = []
    for i, sig in enumerate(sigs):
        near = grouper.nearest(sig)
        if near:
            pairs.append((i, int(near[1]), near[0]))
        grouper.assign(str(i), sig)
    seconds = time.perf_counter() - t0
    sizes: dict[str, int] = {}
    for story in grouper.story.values():
        sizes[story] = sizes.get(story, 0) + 1
    multi = [n for n in sizes.values() if n > 1]
    counts = {
        "threshold": threshold,
        "articles": len(articles),
        "stories": len(sizes),
        "stories_with_copies": len(multi),
        "articles_in_them": sum(multi),
        "largest": max(sizes.values()),
        "group_s": round(seconds, 2),
    }
    return {"counts": counts, "pairs": pairs}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a, SHINGLE_WORDS), shingles(b, SHINGLE_WORDS)
    return len(x & y) / len(x | y) if x | y else 1.0


def describe(n: int, a: dict[str, Any], b: dict[str, Any], estimate: float) -> str:
    """One pair for reading: who, when, the exact Jaccard, and the words that differ."""
    wa, wb = a["text"].split(), b["text"].split()
    changed = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if op != "equal":
            changed.append(f"{op}: {' '.join(wa[i1:i2])[:120]!r} -> {' '.join(wb[j1:j2])[:120]!r}")
    lines = [
        f"## pair {n}: estimate {estimate:.2f}, exact {jaccard(a['text'], b['text']):.2f}, "
        f"words {len(wa)} / {len(wb)}, {len(changed)} edits",
        f"A {a.get('published')} {a.get('url')}\n  {a['title']!r}\n  {a['text'][:300]!r}",
        f"B {b.get('published')} {b.get('url')}\n  {b['title']!r}\n  {b['text'][:300]!r}",
        *[f"  {c}" for c in changed[:12]],
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--thresholds", nargs="+", type=float, default=[0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    ap.add_argument("--at", type=float, default=0.5, help="threshold whose pairs are sampled")
    ap.add_argument("--pairs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--below", type=float, default=1.01, help="sample only pairs estimated below")
    ap.add_argument("--out", type=Path, default=Path("story-pairs.txt"))
    args = ap.parse_args()
    articles = load(args.folders)
    t0 = time.perf_counter()
    sigs = signatures([a["text"] for a in articles])
    sig_s = time.perf_counter() - t0
    print(f"{len(articles)} articles; signatures in {sig_s:.1f} s")
    sampled: list[tuple[int, int, float]] = []
    for threshold in sorted(set(args.thresholds) | {args.at}):
        result = group(articles, sigs, threshold)
        print(json.dumps(result["counts"]))
        if threshold == args.at:
            pairs = [p for p in result["pairs"] if p[2] < args.below]
            sampled = random.Random(args.seed).sample(pairs, min(args.pairs, len(pairs)))
    sampled.sort(key=lambda p: p[2])
    text = [describe(n, articles[j], articles[i], est) for n, (i, j, est) in enumerate(sampled, 1)]
    args.out.write_text("\n\n".join(text) + "\n", encoding="utf-8")
    print(f"{len(sampled)} pairs at {args.at} -> {args.out}")


if __name__ == "__main__":
    main()
