"""Two `rag eval` runs on the same questions -> B minus A per metric, with a paired bootstrap CI.

    python -m rag.eval.paired A/results.json B/results.json

For two settings of one pipeline (an encoder, a way of making vectors) run separately: the
questions are resampled together (seed 0, 1,000 resamples), so the interval is that of the
difference, far narrower than two intervals side by side.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RagError
from .bootstrap import BOOTSTRAP, SEED

#: per-question fields that are means over the questions they apply to
RATES = (
    "hit",
    "span_hit",
    "citation_precision",
    "citation_recall",
    "correct",
    "mc_correct",
    "answer_retrieved",
)


def load(path: Path) -> list[dict[str, Any]]:
    try:
        rows: list[dict[str, Any]] = json.loads(Path(path).read_text())["per_question"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RagError(f"{path}: not a results.json of `rag eval` ({err})") from err
    return rows


def _rate(values: np.ndarray) -> float:
    ok = values[~np.isnan(values)]
    return float(ok.mean()) if len(ok) else float("nan")


def _abstention(abstained: np.ndarray, answerable: np.ndarray) -> dict[str, float]:
    right = (abstained & ~answerable).sum()
    p = right / abstained.sum() if abstained.sum() else float("nan")
    r = right / (~answerable).sum() if (~answerable).sum() else float("nan")
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"abstention_precision": p, "abstention_recall": r, "abstention_f1": f1}


def metrics(rows: list[dict[str, Any]], idx: np.ndarray) -> dict[str, float]:
    """Every metric of one resample (idx: question positions)."""
    out = {}
    for name in RATES:
        col = np.array([np.nan if r.get(name) is None else r[name] for r in rows], dtype=float)
        out[name] = _rate(col[idx])
    abstained = np.array([bool(r["abstained"]) for r in rows])[idx]
    answerable = np.array([bool(r["answerable"]) for r in rows])[idx]
    return out | _abstention(abstained, answerable)


def paired(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, list[float]]:
    """{metric: [A, B, B - A, low, high]} over the questions both runs answered."""
    if [r["id"] for r in a] != [r["id"] for r in b]:
        raise RagError("the two runs did not answer the same questions in the same order")
    n = len(a)
    rng = np.random.default_rng(SEED)
    draws = [np.arange(n), *(rng.integers(0, n, n) for _ in range(BOOTSTRAP))]
    ma, mb = [metrics(a, i) for i in draws], [metrics(b, i) for i in draws]
    out = {}
    for name in ma[0]:
        d = np.array([y[name] - x[name] for x, y in zip(ma, mb, strict=True)])
        ok = d[1:][~np.isnan(d[1:])]
        if np.isnan(d[0]) or not len(ok):
            continue
        lo, hi = np.percentile(ok, [2.5, 97.5])
        out[name] = [ma[0][name], mb[0][name], float(d[0]), float(lo), float(hi)]
    return out


def table(diff: dict[str, list[float]]) -> str:
    lines = ["| metric | A | B | B − A [95% CI] |", "|---|---|---|---|"]
    for name, (x, y, d, lo, hi) in diff.items():
        lines.append(f"| {name} | {x:.3f} | {y:.3f} | {d:+.3f} [{lo:+.3f}, {hi:+.3f}] |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        sys.exit("usage: python -m rag.eval.paired A/results.json B/results.json")
    try:
        print(table(paired(load(Path(args[0])), load(Path(args[1])))))
    except RagError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
