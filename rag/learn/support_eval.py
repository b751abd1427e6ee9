"""The report half of XSumFaith -> learned vs heuristic support checker: ROC AUC and balanced
accuracy at each one's shipped threshold, 95% bootstrap intervals (articles resampled), the
paired difference, ms per claim, and the learned checker's failing cases.

Both judge each claim as `rag check --pairs` does (rag.check.check_claim: the document cut
into the index's chunks, each judged on its own, the best decides); "backed" is the label
"supported". The numbers are written into the model folder's meta.json and MODEL_CARD.md.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from .calibration import auc

FAILURES = 4  # failing cases of each kind kept


def run_checker(rows: list[dict[str, Any]], checker: Any, embedder: Any) -> dict[str, Any]:
    """Scores, supported-or-not, verdicts and ms per claim (chunking included) in row order;
    the models are loaded before the clock starts (spaCy's parser alone takes ~3 s once)."""
    from ..check import check_claim
    from ..types import Article
    from ..verify.roles import parser

    parser()
    check_claim(rows[0]["claim"], [Article("warm", "", rows[0]["doc"])], checker, embedder)
    verdicts, t0 = [], time.perf_counter()
    for r in rows:
        verdicts.append(check_claim(r["claim"], [Article("x", "", r["doc"])], checker, embedder))
    ms = (time.perf_counter() - t0) * 1000 / len(rows)
    return {
        "score": np.array([v.score for v in verdicts]),
        "backed": np.array([v.label == "supported" for v in verdicts]),
        "verdicts": verdicts,
        "ms": round(ms, 1),
    }


def metrics(score: np.ndarray, backed: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(ROC AUC of the score, balanced accuracy of the supported label)."""
    if y.all() or not y.any():
        return float("nan"), float("nan")
    ba = (backed[y == 1].mean() + (~backed[y == 0]).mean()) / 2
    return auc(score[y == 1], score[y == 0]), float(ba)


def bootstrap(runs: dict[str, dict[str, Any]], y: np.ndarray, groups: list[str], n: int) -> Any:
    """(n, 2 checkers + difference, AUC and balanced accuracy) from articles drawn with
    replacement, seeded."""
    ids = sorted(set(groups))
    rows_of = {g: [i for i, x in enumerate(groups) if x == g] for g in ids}
    rng = np.random.default_rng(0)
    out = np.zeros((n, 3, 2))
    for b in range(n):
        idx = np.concatenate([rows_of[ids[k]] for k in rng.integers(0, len(ids), len(ids))])
        a = metrics(runs["learned"]["score"][idx], runs["learned"]["backed"][idx], y[idx])
        h = metrics(runs["heuristic"]["score"][idx], runs["heuristic"]["backed"][idx], y[idx])
        out[b] = [a, h, np.subtract(a, h)]
    return out


def ci(values: np.ndarray) -> list[float]:
    lo, hi = np.nanpercentile(values, [2.5, 97.5])
    return [round(float(lo), 3), round(float(hi), 3)]


def failures(rows: list[dict[str, Any]], run: dict[str, Any], y: np.ndarray) -> dict[str, Any]:
    """The highest-scored claims wrongly supported, the lowest-scored backed claims refused."""

    def case(i: int) -> dict[str, Any]:
        v = run["verdicts"][i]
        return {"id": rows[i]["id"], "claim": rows[i]["claim"], "score": v.score,
                "label": v.label, "closest": v.quote, "missing": list(v.missing)}  # fmt: skip

    order = np.argsort(-run["score"], kind="stable")
    wrong_yes = [int(i) for i in order if run["backed"][i] and not y[i]][:FAILURES]
    wrong_no = [int(i) for i in order[::-1] if not run["backed"][i] and y[i]][:FAILURES]
    return {
        "false_supported": [case(i) for i in wrong_yes],
        "false_unsupported": [case(i) for i in wrong_no],
    }


def summarise(rows: list[dict[str, Any]], runs: dict[str, Any], boot: int) -> dict[str, Any]:
    y = np.array([int(r["label"]) for r in rows])
    groups = [r["id"].split("|")[0] for r in rows]
    draws = bootstrap(runs, y, groups, boot)
    report: dict[str, Any] = {"claims": len(rows), "backed": int(y.sum()),
                              "articles": len(set(groups)), "boot": boot}  # fmt: skip
    point = {}
    for k, name in enumerate(("learned", "heuristic")):
        a, b = metrics(runs[name]["score"], runs[name]["backed"], y)
        point[name] = (a, b)
        report[name] = {"auc": round(a, 3), "auc_ci": ci(draws[:, k, 0]),
                        "balanced_accuracy": round(b, 3), "ba_ci": ci(draws[:, k, 1]),
                        "ms": runs[name]["ms"]}  # fmt: skip
    report["difference"] = {
        "auc": round(point["learned"][0] - point["heuristic"][0], 3),
        "auc_ci": ci(draws[:, 2, 0]),
        "balanced_accuracy": round(point["learned"][1] - point["heuristic"][1], 3),
        "ba_ci": ci(draws[:, 2, 1]),
    }
    report["failures"] = failures(rows, runs["learned"], y)
    return report


def measure(xsum: Path, folder: Path, boot: int) -> dict[str, Any]:
    """Both checkers on the report half; the result printed and stored beside the model."""
    from ..embed import Embedder
    from ..settings import Settings
    from ..verify.heuristic import HeuristicChecker
    from ..verify.learned import LearnedChecker
    from .support_card import write_support_card
    from .support_pairs import read_xsum, xsum_halves

    _, rows = xsum_halves(read_xsum(xsum))
    makers = {"learned": lambda e: LearnedChecker(e, folder), "heuristic": HeuristicChecker}
    runs = {}
    for name, make in makers.items():
        # subtle: an embedder of its own each, or the second would find the first's vectors
        embedder = Embedder.from_settings(Settings())
        runs[name] = run_checker(rows, make(embedder), embedder)
    report = summarise(rows, runs, boot)
    meta_path = folder / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["report"] = report
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    write_support_card(folder, meta)
    print(json.dumps({k: v for k, v in report.items() if k != "failures"}, indent=1))
    return report


HELD_OUT_NEWS = 120  # search-result articles beyond the training sample, for news_kinds


def news_kinds(
    folder: Path, data: Path, trained_on: int, seed: int, min_chars: int = 800
) -> dict[str, Any]:
    """The shipped model alone on news pairs of articles it never saw (the `HELD_OUT_NEWS`
    after the `trained_on` of the same seeded sample), by kind: median probability, and for
    each kind not backed, the AUC of the backed pairs against it.

    It tells whether the model learned what its pairs teach: a shortcut that only the training
    pairs carry (a lead-in the runtime strips, say) shows as backed pairs it cannot tell apart.
    """
    from ..embed import Embedder
    from ..settings import Settings
    from .support_pairs import news_articles, news_pairs
    from .train import score

    found = news_articles(data, ("2022", "2024"), trained_on + HELD_OUT_NEWS, seed, min_chars)
    articles = found[trained_on:]
    pairs = news_pairs(articles, Embedder.from_settings(Settings()), seed + 1)
    meta = json.loads((folder / "meta.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:  # score() writes a meta.json of its own
        work = Path(tmp)
        for name in ("model.onnx", "tokenizer.json"):
            (work / name).write_bytes((folder / name).read_bytes())
        probs = score(work, "model.onnx", pairs, meta["max_tokens"])
    backed = [float(p) for p, x in zip(probs, pairs, strict=True) if x.label]
    out: dict[str, Any] = {"articles": len(articles), "kinds": {}}
    for kind in dict.fromkeys(x.kind for x in pairs):
        got = [float(p) for p, x in zip(probs, pairs, strict=True) if x.kind == kind]
        label = next(x.label for x in pairs if x.kind == kind)
        row = {"pairs": len(got), "backed": label, "median": round(float(np.median(got)), 3)}
        if not label and backed:
            row["auc"] = round(auc(backed, got), 3)
        out["kinds"][kind] = row
    return out
