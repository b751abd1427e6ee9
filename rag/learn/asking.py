"""News sentences -> questions they answer, written by rule: the answer model's product-like pairs.

RealTime QA's questions are a weekly quiz's: the right choice is named in the question's
articles, and its positives are found by distant labels. A reader asks differently ("Who
called the situation disgraceful?"), and the model trained on the quiz alone gave such a
question and the sentence that answers it a probability of 0.04. So the training data also
holds questions made from article sentences by putting a question word in place of a named
doer or of the time of the action, spaCy's parse deciding which words go:

    "Prime Minister Keir Starmer called the situation disgraceful."
        -> "Who called the situation disgraceful?"
    "“We urgently made contact,” an Ofcom spokesperson said."
        -> "Who said “We urgently made contact”?"
    "Ofcom made urgent contact with X on Monday."
        -> "When did Ofcom make urgent contact with X?"

The sentence is the positive; the article's other sentences are its negatives (same story,
does not say), except those naming the same answer. `python -m rag.learn.train --made N`
adds N such questions; the shipped model has none (measured, not better in the pipeline:
docs/answer-model.md).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..text import mentions, terms
from .pairs import Pair, _read, _sentences

WHO = {"PERSON", "ORG", "NORP", "GPE"}  # a subject naming one of these is asked with who
SAYING = {"say", "tell", "state", "add", "write", "warn", "announce", "claim", "insist"}
MIN_REST = 4  # words a question keeps besides its question word: fewer ask nothing
MAX_WORDS = 30  # longer questions are run-on clauses nobody asks
NEGATIVES = 5  # other sentences of the article per question


def _clean(text: str) -> str:
    return " ".join(text.split()).rstrip(" ,;:.!?\"'”’")


def _asks(phrase: Any, said: bool) -> str | None:
    """The question word for a subject phrase: who for people, organisations and places
    (named in it, or a proper noun), what for any other noun; none for a pronoun."""
    head = phrase.root
    if head.pos_ == "PRON" or head.lower_ in ("it", "this", "that"):
        return None
    named = any(ent.label_ in WHO for ent in phrase.ents) or head.pos_ == "PROPN"
    return "Who" if named or said else "What" if head.pos_ == "NOUN" else None


def _subject_question(root: Any) -> tuple[str, str] | None:
    """ "X did Y." -> ("Who did Y?", X); "“Q,” X said." -> ("Who said “Q”?", X)."""
    subj = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subj is None:
        return None
    phrase = root.doc[subj.left_edge.i : subj.right_edge.i + 1]
    wh = _asks(phrase, root.lemma_ in SAYING)
    if wh is None:
        return None
    doc = root.doc
    quote = next((c for c in root.children if c.dep_ == "ccomp" and c.i < subj.i), None)
    if quote is not None and root.lemma_ in SAYING:  # “…,” X said. / “…,” said X.
        said = _clean(doc[quote.left_edge.i : quote.right_edge.i + 1].text.lstrip("\"“‘'"))
        rest = f"{root.text} “{said}”"
    elif subj.left_edge.i == _start(doc) and subj.i < root.i:
        rest = _clean(doc[phrase.end : _end(doc)].text)
    else:
        return None
    if not MIN_REST <= len(rest.split()) <= MAX_WORDS:
        return None
    return f"{wh} {rest}?", _clean(phrase.text)


def _when_question(root: Any) -> tuple[str, str] | None:
    """ "X did Y on Monday." -> ("When did X do Y?", "Monday"), for a past-tense action."""
    if root.tag_ != "VBD" or root.lemma_ in ("be", "have"):
        return None
    doc = root.doc
    subj = next((c for c in root.children if c.dep_ == "nsubj"), None)
    when = next(
        (
            c
            for c in root.children
            if (c.dep_ == "prep" and any(g.ent_type_ == "DATE" for g in c.subtree))
            or (c.dep_ == "npadvmod" and c.ent_type_ == "DATE")
        ),
        None,
    )
    if subj is None or when is None or subj.left_edge.i != _start(doc) or subj.i > root.i:
        return None
    date = doc[when.left_edge.i : when.right_edge.i + 1]
    before, after = doc[root.i + 1 : date.start].text, doc[date.end : _end(doc)].text
    phrase = doc[subj.left_edge.i : subj.right_edge.i + 1]
    subject = phrase.text
    if phrase[0].pos_ != "PROPN":  # "The company" -> "When did the company …"
        subject = subject[:1].lower() + subject[1:]
    if date.start < root.i:  # "X on Monday announced Y"
        before, after = "", doc[root.i + 1 : _end(doc)].text
    rest = _clean(f"{before} {after}")
    if not MIN_REST <= len((subject + " " + rest).split()) <= MAX_WORDS:
        return None
    named = [e.text for e in doc.ents if e.label_ == "DATE" and date.start <= e.start < date.end]
    return f"When did {subject} {root.lemma_} {rest}?", named[0] if named else _clean(date.text)


def _start(doc: Any) -> int:
    """The first word of the sentence, past an opening quote mark."""
    i = 0
    while i < len(doc) and doc[i].is_quote:
        i += 1
    return i


def _end(doc: Any) -> int:
    """Where the sentence's words end, before its closing punctuation."""
    j = len(doc)
    while j > 0 and (doc[j - 1].is_punct or doc[j - 1].is_space):
        j -= 1
    return j


def questions_of(doc: Any) -> list[tuple[str, str]]:
    """Every (question, answer) the rules can write from one parsed sentence."""
    root = next((t for t in doc if t.dep_ == "ROOT" and t.pos_ in ("VERB", "AUX")), None)
    if root is None:
        return []
    found = [_subject_question(root), _when_question(root)]
    return [f for f in found if f is not None and f[1].lower() not in f[0].lower()]


def article_pairs(
    qid: str, sentences: list[str], docs: Iterable[Any], rng: random.Random, most: int = 2
) -> Iterator[Pair]:
    """Up to `most` made questions from one article's sentences, each with its negatives."""
    made = [(i, q, a) for i, doc in enumerate(docs) for q, a in questions_of(doc)]
    rng.shuffle(made)
    for n, (i, question, answer) in enumerate(made[:most]):
        q_terms = set(terms(question))
        others = [
            s
            for j, s in enumerate(sentences)
            if j != i
            and not (mentions(s, answer) and 2 * len(q_terms & set(terms(s))) >= len(q_terms))
        ]
        group = f"{qid}:{n}"
        yield Pair(group, question, sentences[i], 1, "made")
        for s in rng.sample(others, min(NEGATIVES, len(others))):
            yield Pair(group, question, s, 0, "made")


def made_pairs(qa_files: list[Path], seed: int, limit: int) -> list[Pair]:
    """Pairs of about `limit` questions made from the search-result articles of the given
    weeks (none for 0), deterministic for a seed: articles in a seeded order until enough."""
    from ..entities import load_english

    if not limit:
        return []
    articles = week_articles(qa_files)
    rng = random.Random(f"{seed}:made")
    order = sorted(articles)
    rng.shuffle(order)
    nlp = load_english(())
    out: list[Pair] = []
    for doc_id, text in order:
        sentences = _sentences(text)
        if len(sentences) < 4:
            continue
        pairs = list(article_pairs(doc_id, sentences, nlp.pipe(sentences), rng))
        out += pairs
        if sum(p.label for p in out) >= limit:
            break
    return out


def week_articles(qa_files: list[Path]) -> list[tuple[str, str]]:
    """(url, text) of every search-result article of the given RealTime QA weeks, once each."""
    found: dict[str, str] = {}
    for qa_file in qa_files:
        gcs = qa_file.with_name(qa_file.name.replace("_qa.jsonl", "_gcs.jsonl"))
        for row in _read(gcs):
            for r in row.get("search_result") or []:
                if r.get("text"):
                    found.setdefault(r.get("url") or r["text"][:200], r["text"])
    return list(found.items())
